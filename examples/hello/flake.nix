{
  description = "Ferry example: an HTTP service, a worker and a static site, with no inputs (builds offline)";

  # No nixpkgs: every package is a plain derivation built with the host's /bin/sh, so the example evaluates and
  # builds on a machine without network. The programs run with the host's /usr/bin/python3 and /bin/sh.
  outputs = { self }:
    let
      system = "x86_64-linux";
      # A derivation whose builder is a shell script; only what the script copies ends up in $out.
      package = name: script: derivation {
        inherit name system;
        builder = "/bin/sh";
        args = [ "-c" script ];
        PATH = "/usr/bin:/bin";
      };
    in
    {
      packages.${system} = {
        # A tiny HTTP server: answers its version at / and "ok" at /healthz, on $PORT.
        web = package "hello-web" ''
          mkdir -p $out/bin
          cp ${./web/server.py} $out/bin/hello-web
          chmod +x $out/bin/hello-web
        '';

        # A background worker: no HTTP, logs a line every few seconds.
        worker = package "hello-worker" ''
          mkdir -p $out/bin
          cp ${./worker/worker.sh} $out/bin/hello-worker
          chmod +x $out/bin/hello-worker
        '';

        # A static site served by Caddy.
        docs = package "hello-docs" ''
          mkdir -p $out
          cp ${./site/index.html} $out/index.html
        '';
      };

      # What Ferry deploys (docs/project-config.md). `package` names an attribute of packages.<system>.
      ferry = {
        services.web = {
          package = "web";
          exec = "bin/hello-web";
          http = { };
          primary = true; # also reachable at <project>-<branch>.<ferry.domains.ephemeral>
          ready.http.path = "/healthz";
          env.GREETING = "hello";
          customDomain = "hello.example.org";
        };
        services.worker = {
          package = "worker";
          exec = "bin/hello-worker";
          args = [ "--interval" "5" ];
        };
        sites.docs = {
          package = "docs";
          customDomain = "docs.hello.example.org";
        };
      };
    };
}
