package dev.ferry.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.builder.ProjectConfig.ServiceConfig;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProjectConfigTest {
    private static ProjectConfig parse(String json) {
        return ProjectConfig.parse(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
    }

    private static void fails(String json, String message) {
        assertThatThrownBy(() -> parse(json)).isInstanceOf(ProjectConfigException.class).hasMessage(message);
    }

    @Test
    void readsTheExampleWithItsDefaults() {
        ProjectConfig config = parse("""
                {'services': {
                   'web': {'package': 'web', 'exec': 'bin/hello-web', 'http': {}, 'primary': true,
                           'ready': {'http': {'path': '/healthz'}}, 'env': {'GREETING': 'hello'},
                           'customDomain': 'hello.example.org'},
                   'worker': {'package': 'packages.x86_64-linux.worker', 'exec': 'bin/hello-worker',
                              'args': ['--interval', '5'], 'envFile': '/var/lib/ferry-secrets/worker.env',
                              'hosts': ['biz']}},
                 'sites': {'docs': {'package': 'docs', 'spa': true, 'customDomain': ['a.example.org', 'b.example.org']}}}
                """);
        ServiceConfig web = config.services().get("web");
        assertThat(web.http()).hasValueSatisfying(h -> {
            assertThat(h.path()).isEqualTo("/");
            assertThat(h.port()).isEqualTo(OptionalInt.empty());
        });
        assertThat(web.ready()).hasValueSatisfying(r -> {
            assertThat(r.path()).isEqualTo("/healthz");
            assertThat(r.timeoutSeconds()).isEqualTo(30);
        });
        assertThat(web.env()).isEqualTo(Map.of("GREETING", "hello"));
        assertThat(web.customDomains()).containsExactly("hello.example.org");
        assertThat(web.primary()).isTrue();
        assertThat(web.args()).isEmpty();
        ServiceConfig worker = config.services().get("worker");
        assertThat(worker.http()).isEmpty();
        assertThat(worker.args()).containsExactly("--interval", "5");
        assertThat(worker.envFile()).contains("/var/lib/ferry-secrets/worker.env");
        assertThat(worker.hosts()).containsExactly("biz");
        assertThat(config.sites().get("docs").spa()).isTrue();
        assertThat(config.sites().get("docs").customDomains()).containsExactly("a.example.org", "b.example.org");
        assertThat(config.packages()).containsExactly("docs", "packages.x86_64-linux.worker", "web");
    }

    @Test
    void anEmptyConfigDeploysNothing() {
        assertThat(parse("{}").services()).isEmpty();
        assertThat(parse("{'services': {}, 'sites': {}}").sites()).isEmpty();
    }

    @Test
    void aFixedPortAndATimeoutAreRead() {
        ServiceConfig s = parse("{'services': {'api': {'package': 'api', 'exec': 'api', 'http': {'path': '/api', "
                + "'port': 8000}, 'ready': {'http': {'timeoutSeconds': 90}}}}}").services().get("api");
        assertThat(s.http().orElseThrow().port()).isEqualTo(OptionalInt.of(8000));
        assertThat(s.http().orElseThrow().path()).isEqualTo("/api");
        assertThat(s.ready().orElseThrow().path()).isEqualTo("/");
        assertThat(s.ready().orElseThrow().timeoutSeconds()).isEqualTo(90);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a list                   | []                                                                     | the project config: expected an object, found a list
            unknown top-level field  | {'service': {}}                                                        | service: unknown field (known: services, sites)
            services not an object   | {'services': []}                                                       | services: expected an object, found a list
            bad service name         | {'services': {'Web': {'package': 'w', 'exec': 'w'}}}                   | services.Web: the name must match [a-z0-9][a-z0-9-]* and have at most 63 characters
            unknown service field    | {'services': {'web': {'package': 'w', 'exec': 'w', 'port': 80}}}       | services.web.port: unknown field (known: args, customDomain, env, envFile, exec, hosts, http, package, primary, ready)
            missing package          | {'services': {'web': {'exec': 'w'}}}                                   | services.web.package: missing
            package not a string     | {'services': {'web': {'package': 1, 'exec': 'w'}}}                     | services.web.package: expected a string, found a number
            package a store path     | {'services': {'web': {'package': '/nix/store/x', 'exec': 'w'}}}        | services.web.package: '/nix/store/x' is not a flake attribute path (such as web or packages.x86_64-linux.web); write the attribute's name, not the derivation
            missing exec             | {'services': {'web': {'package': 'w'}}}                                | services.web.exec: missing
            exec wrong type          | {'services': {'web': {'package': 'w', 'exec': 5}}}                     | services.web.exec: expected a string, found a number
            exec absolute            | {'services': {'web': {'package': 'w', 'exec': '/bin/sh'}}}             | services.web.exec: '/bin/sh' is not a path relative to the package's output (such as bin/web): no leading /, no empty, . or .. segments
            exec escapes             | {'services': {'web': {'package': 'w', 'exec': 'bin/../../x'}}}         | services.web.exec: 'bin/../../x' is not a path relative to the package's output (such as bin/web): no leading /, no empty, . or .. segments
            exec empty               | {'services': {'web': {'package': 'w', 'exec': ''}}}                    | services.web.exec: is empty
            args not strings         | {'services': {'web': {'package': 'w', 'exec': 'w', 'args': ['a', 1]}}} | services.web.args[1]: expected a string, found a number
            args a string            | {'services': {'web': {'package': 'w', 'exec': 'w', 'args': '-v'}}}     | services.web.args: expected a list of strings, found a string
            http not an object       | {'services': {'web': {'package': 'w', 'exec': 'w', 'http': true}}}     | services.web.http: expected an object, found a boolean
            http unknown field       | {'services': {'web': {'package': 'w', 'exec': 'w', 'http': {'host': 'x'}}}} | services.web.http.host: unknown field (known: path, port)
            http port out of range   | {'services': {'web': {'package': 'w', 'exec': 'w', 'http': {'port': 70000}}}} | services.web.http.port: expected an integer from 1 to 65535, found 70000
            http port a string       | {'services': {'web': {'package': 'w', 'exec': 'w', 'http': {'port': '80'}}}} | services.web.http.port: expected an integer from 1 to 65535, found a string
            http port a fraction     | {'services': {'web': {'package': 'w', 'exec': 'w', 'http': {'port': 80.5}}}} | services.web.http.port: expected an integer from 1 to 65535, found 80.5
            http path relative       | {'services': {'web': {'package': 'w', 'exec': 'w', 'http': {'path': 'api'}}}} | services.web.http.path: 'api' is not an absolute URL path (such as /healthz)
            ready without http       | {'services': {'web': {'package': 'w', 'exec': 'w', 'ready': {'http': {}}}}} | services.web.ready: an HTTP readiness check needs http (the service must answer HTTP)
            ready without http check | {'services': {'web': {'package': 'w', 'exec': 'w', 'http': {}, 'ready': {}}}} | services.web.ready.http: missing
            ready timeout zero       | {'services': {'web': {'package': 'w', 'exec': 'w', 'http': {}, 'ready': {'http': {'timeoutSeconds': 0}}}}} | services.web.ready.http.timeoutSeconds: expected an integer from 1 to 3600, found 0
            env not strings          | {'services': {'web': {'package': 'w', 'exec': 'w', 'env': {'N': 1}}}}  | services.web.env.N: expected a string, found a number
            env bad name             | {'services': {'web': {'package': 'w', 'exec': 'w', 'env': {'a-b': 'x'}}}} | services.web.env.a-b: not a variable name ([A-Z_][A-Z0-9_]*)
            env sets PORT            | {'services': {'web': {'package': 'w', 'exec': 'w', 'env': {'PORT': '80'}}}} | services.web.env.PORT: PORT is set by Ferry (a free port per start, or http.port)
            envFile relative         | {'services': {'web': {'package': 'w', 'exec': 'w', 'envFile': 'web.env'}}} | services.web.envFile: 'web.env' must be an absolute, normalised path on the host, outside /nix/store (it holds secrets; the store is world-readable)
            envFile in the store     | {'services': {'web': {'package': 'w', 'exec': 'w', 'envFile': '/nix/store/x-env'}}} | services.web.envFile: '/nix/store/x-env' must be an absolute, normalised path on the host, outside /nix/store (it holds secrets; the store is world-readable)
            custom domain without http | {'services': {'w': {'package': 'w', 'exec': 'w', 'customDomain': 'a.org'}}} | services.w.customDomain: a custom domain needs http (the service must answer HTTP)
            custom domain upper case | {'sites': {'docs': {'package': 'd', 'customDomain': 'Docs.org'}}}      | sites.docs.customDomain: 'Docs.org' is not a lower-case DNS name
            custom domain twice      | {'sites': {'docs': {'package': 'd', 'customDomain': ['a.org', 'a.org']}}} | sites.docs.customDomain[1]: 'a.org' is listed twice
            custom domain a number   | {'sites': {'docs': {'package': 'd', 'customDomain': 5}}}                | sites.docs.customDomain: expected a list of strings, found a number
            hosts bad name           | {'services': {'w': {'package': 'w', 'exec': 'w', 'hosts': ['a b']}}}    | services.w.hosts[0]: 'a b' is not a lower-case DNS name
            primary worker           | {'services': {'w': {'package': 'w', 'exec': 'w', 'primary': true}}}     | services.w.primary: only a service with http can be primary
            two primaries            | {'services': {'w': {'package': 'w', 'exec': 'w', 'http': {}, 'primary': true}}, 'sites': {'d': {'package': 'd', 'primary': true}}} | sites.d.primary: only one service or site may be primary (services.w, sites.d are)
            spa not a boolean        | {'sites': {'docs': {'package': 'd', 'spa': 'yes'}}}                     | sites.docs.spa: expected true or false, found a string
            unknown site field       | {'sites': {'docs': {'package': 'd', 'exec': 'x'}}}                      | sites.docs.exec: unknown field (known: customDomain, hosts, package, primary, spa)
            site and service share   | {'services': {'x': {'package': 'w', 'exec': 'w'}}, 'sites': {'x': {'package': 'd'}}} | sites.x: the name is taken by services.x (services and sites share one namespace)
            null value               | {'services': {'web': {'package': 'w', 'exec': null}}}                   | services.web.exec: expected a string, found null
            duplicate key            | {'services': {'web': {'package': 'w', 'package': 'v', 'exec': 'w'}}}    | the project config is not valid JSON: Duplicate field 'package'
            """)
    void rejects(String what, String json, String message) {
        fails(json, message);
    }

    @Test
    void malformedJsonIsNamed() {
        assertThatThrownBy(() -> parse("{")).isInstanceOf(ProjectConfigException.class)
                .hasMessageStartingWith("the project config is not valid JSON: ");
    }

    @Test
    void aBareExecNameIsKept() {
        assertThat(parse("{'services': {'w': {'package': 'w', 'exec': 'worker'}}}").services().get("w").exec())
                .isEqualTo("worker");
    }

    @Test
    void listsAreCopiedAndImmutable() {
        ServiceConfig s = parse("{'services': {'w': {'package': 'w', 'exec': 'w', 'args': ['a']}}}").services().get("w");
        assertThatThrownBy(() -> s.args().add("b")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(List.copyOf(s.args())).containsExactly("a");
    }
}
