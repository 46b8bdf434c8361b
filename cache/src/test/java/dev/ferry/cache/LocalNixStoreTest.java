package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.nix.StorePath;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Parsing {@code nix path-info --json} in the shapes Nix prints it. */
class LocalNixStoreTest {
    private static final String HELLO = "/nix/store/0c7jfcwm7v0bxj6jk6i9klg6ryvkgkqd-hello-2.12";
    private static final String GLIBC = "/nix/store/9bmpf4hqmkrcjm0slk3kr59qhgzsjv6v-glibc-2.37-8";
    private static final String DRV = "/nix/store/5ij4ywc0q6dllf7bwvvb6bcrxkjkbrka-hello-2.12.drv";
    private static final String HASH = "sha256-XjxSx0F3XZ4sxjPK/6r4TH7HuWxZ3XfjSTKpWvQvq2k=";

    /** Nix 2.8 to 2.18: an array, each object naming its path; fields Ferry does not use are skipped, nested or not. */
    @Test
    void theArrayShape() {
        String json = "[{\"path\":\"" + HELLO + "\",\"narHash\":\"" + HASH + "\",\"narSize\":226560,"
                + "\"references\":[\"" + GLIBC + "\",\"" + HELLO + "\"],\"deriver\":\"" + DRV + "\","
                + "\"registrationTime\":1700000000,\"signatures\":[\"cache.nixos.org-1:abc\"],"
                + "\"extra\":{\"nested\":[1,{\"x\":null}]},\"ultimate\":false},"
                + "{\"path\":\"" + GLIBC + "\",\"narHash\":\"" + HASH + "\",\"narSize\":30000000,\"references\":[\"" + GLIBC + "\"],"
                + "\"ca\":\"fixed:r:sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s\"}]";
        List<PathInfo> infos = LocalNixStore.parsePathInfo(json);

        assertThat(infos).hasSize(2);
        PathInfo hello = infos.get(0);
        assertThat(hello.path()).isEqualTo(StorePath.parse(HELLO));
        assertThat(hello.nar().narSize()).isEqualTo(226560);
        assertThat(hello.nar().narHash().toString()).isEqualTo(dev.ferry.nix.Hash.parse(HASH).toString());
        assertThat(hello.references()).containsExactlyInAnyOrder(StorePath.parse(GLIBC), StorePath.parse(HELLO));
        assertThat(hello.deriver()).contains(StorePath.parse(DRV));
        assertThat(hello.ca()).isEmpty();
        assertThat(infos.get(1).deriver()).isEmpty();
        assertThat(infos.get(1).ca()).contains("fixed:r:sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s");
    }

    /**
     * Nix 2.19 and later: an object keyed by path, with null for a path that is not valid (2.33 adds "storeDir" and
     * "version": 1 to each entry, and warns on stderr that {@code --json} wants {@code --json-format}).
     */
    @Test
    void theObjectShape() {
        String json = "{\"" + HELLO + "\":{\"ca\":null,\"deriver\":null,\"narHash\":\"" + HASH + "\",\"narSize\":226560,"
                + "\"references\":[],\"registrationTime\":1700000000,\"signatures\":[],\"storeDir\":\"/nix/store\",\"ultimate\":true,\"version\":1}}";
        assertThat(LocalNixStore.parsePathInfo(json)).singleElement().satisfies(info -> {
            assertThat(info.path()).isEqualTo(StorePath.parse(HELLO));
            assertThat(info.references()).isEmpty();
            assertThat(info.deriver()).isEqualTo(Optional.empty());
        });
        assertThatThrownBy(() -> LocalNixStore.parsePathInfo("{\"" + HELLO + "\":null}"))
                .isInstanceOf(CacheException.class).hasMessage(HELLO + " is not valid in the local Nix store");
    }

    @Test
    void anInvalidPathInTheArrayShapeIsNamed() {
        assertThatThrownBy(() -> LocalNixStore.parsePathInfo("[{\"path\":\"" + HELLO + "\",\"valid\":false}]"))
                .isInstanceOf(CacheException.class).hasMessage(HELLO + " is not valid in the local Nix store");
    }

    @Test
    void badOutputIsAnErrorThatSaysWhatIsWrong() {
        assertThatThrownBy(() -> LocalNixStore.parsePathInfo("[{\"path\":"))
                .isInstanceOf(CacheException.class).hasMessageStartingWith("nix path-info printed invalid JSON");
        assertThatThrownBy(() -> LocalNixStore.parsePathInfo("42"))
                .isInstanceOf(CacheException.class).hasMessageContaining("neither a JSON array nor an object");
        assertThatThrownBy(() -> LocalNixStore.parsePathInfo(""))
                .isInstanceOf(CacheException.class).hasMessageContaining("neither a JSON array nor an object");
        assertThatThrownBy(() -> LocalNixStore.parsePathInfo("[{\"path\":\"" + HELLO + "\",\"narHash\":\"" + HASH + "\"}]"))
                .isInstanceOf(CacheException.class).hasMessageContaining("bad entry for '" + HELLO + "'")
                .hasMessageContaining("narSize");
        assertThatThrownBy(() -> LocalNixStore.parsePathInfo("[{\"path\":\"/tmp/x\",\"narHash\":\"" + HASH + "\",\"narSize\":1}]"))
                .isInstanceOf(CacheException.class).hasMessageContaining("bad entry for '/tmp/x'");
        assertThatThrownBy(() -> LocalNixStore.parsePathInfo("[{\"path\":\"" + HELLO + "\",\"narHash\":\"md5-x\",\"narSize\":1}]"))
                .isInstanceOf(CacheException.class).hasMessageContaining("bad entry");
        // A field of another shape is skipped whole: its inner fields are not taken for the entry's.
        assertThatThrownBy(() -> LocalNixStore.parsePathInfo("[{\"path\":\"" + HELLO + "\",\"narHash\":{\"algorithm\":\"sha256\","
                + "\"narSize\":5},\"narSize\":7}]"))
                .isInstanceOf(CacheException.class).hasMessageContaining("bad entry for '" + HELLO + "'")
                .hasMessageNotContaining("narSize");
        assertThatThrownBy(() -> LocalNixStore.parsePathInfo("[{\"path\":\"" + HELLO + "\",\"references\":[{\"x\":1}]}]"))
                .isInstanceOf(CacheException.class).hasMessageContaining("a reference of '" + HELLO + "' is not a string");
        assertThatThrownBy(() -> LocalNixStore.parsePathInfo("[1]"))
                .isInstanceOf(CacheException.class).hasMessageContaining("unexpected");
    }

    /**
     * A Nix that refuses {@code --json} without {@code --json-format} (2.33 warns that it will) is asked again for
     * format 1, and for format 1 from then on; any other failure is not retried, even with 2.33's warning beside it,
     * and older Nix, which refuses the flag, never sees it.
     */
    @Test
    void aNixThatWantsTheJsonFormatNamedIsAskedForVersionOne() {
        String json = "{\"" + HELLO + "\":{\"narHash\":\"" + HASH + "\",\"narSize\":1,\"references\":[]}}";
        List<List<String>> calls = new java.util.ArrayList<>();
        dev.ferry.process.ProcessRunner strict = (command, out) -> {
            calls.add(command.argv());
            if (!command.argv().contains("--json-format")) {
                throw new dev.ferry.process.ProcessException("nix exited with 1", 1,
                        "error: '--json' without '--json-format' is no longer supported", null);
            }
            try {
                out.write(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return new dev.ferry.process.ProcessResult(0, "", "");
        };
        LocalNixStore store = new LocalNixStore(strict);
        assertThat(store.closure(List.of(StorePath.parse(HELLO)))).singleElement()
                .satisfies(info -> assertThat(info.path()).isEqualTo(StorePath.parse(HELLO)));
        assertThat(calls).hasSize(2);
        assertThat(calls.get(1)).containsSequence("--json", "--json-format", "1").endsWith(HELLO);
        store.closure(List.of(StorePath.parse(HELLO)));
        assertThat(calls).hasSize(3);
        assertThat(calls.get(2)).contains("--json-format");

        calls.clear();
        dev.ferry.process.ProcessRunner broken = (command, out) -> {
            calls.add(command.argv());
            throw new dev.ferry.process.ProcessException("nix exited with 1", 1, "warning: '--json' without "
                    + "'--json-format' is deprecated; please specify '--json-format 1' or '--json-format 2'. This will "
                    + "become an error in a future release.\nerror: path '" + HELLO + "' is not valid", null);
        };
        assertThatThrownBy(() -> new LocalNixStore(broken).closure(List.of(StorePath.parse(HELLO))))
                .hasMessageContaining("is not valid");
        assertThat(calls).singleElement().satisfies(argv -> assertThat(argv).doesNotContain("--json-format"));
    }
}
