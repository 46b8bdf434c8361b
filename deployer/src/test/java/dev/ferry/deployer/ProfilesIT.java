package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.nix.StorePath;
import dev.ferry.testkit.RequiresPrograms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A service's profile with real {@code nix-env}: what pin, unpin and prune leave, after a local rollback too. */
@RequiresPrograms({"nix-env", "nix-store"})
class ProfilesIT {
    @TempDir
    Path dir;

    private StorePath add(String name) throws IOException {
        Path file = Files.writeString(dir.resolve(name), name + " " + UUID.randomUUID());
        return StorePath.parse(Harness.nix("nix-store", "--add", file.toString()).stdout().strip());
    }

    @Test
    void aFailedVersionTakesBackItsGenerationAndThePreviousCurrentOneIsCurrentAgain() throws IOException {
        NixStore nix = NixStore.cli(Harness.RUNNER, dir.resolve("profiles"));
        StorePath a = add("a");
        StorePath b = add("b");
        StorePath c = add("c");

        NixStore.Pin first = nix.pin("web", a);
        assertThat(first.before()).isEmpty();
        assertThat(first.made()).isPresent();
        nix.pin("web", b);
        assertThat(nix.pin("web", b)).isEqualTo(NixStore.Pin.NOTHING);
        assertThat(nix.rollback("web")).isEqualTo(a); // generations a, b; a current

        // c does not start: the profile points at a again (the current one, not the newest), b's generation stays.
        NixStore.Pin failed = nix.pin("web", c);
        assertThat(nix.pinned("web")).contains(c);
        nix.unpin("web", failed);
        assertThat(nix.pinned("web")).contains(a);
        assertThat(Harness.generations(dir.resolve("profiles"), "web"))
                .containsExactlyInAnyOrder(a.absolute(), b.absolute());

        // c runs this time: pruned to the newest 1 only then.
        NixStore.Pin ran = nix.pin("web", c);
        assertThat(Harness.generations(dir.resolve("profiles"), "web")).hasSize(3);
        nix.prune("web", 1);
        assertThat(Harness.generations(dir.resolve("profiles"), "web")).containsExactly(c.absolute());
        assertThat(ran.made()).isPresent();

        // A first version that does not start: the profile it made is gone.
        NixStore.Pin only = nix.pin("api", a);
        nix.unpin("api", only);
        assertThat(nix.pinned("api")).isEmpty();
        assertThat(nix.services()).containsExactly("web");
    }
}
