package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists every key the code reads in a table row of its own, and no key the code does not know. */
class ConfigurationDocTest {
    private static final Path DOC = Path.of("..", "docs", "configuration.md");
    private static final Pattern ROW = Pattern.compile("^\\| `(ferry\\.[a-z0-9.\\[\\]-]+)` \\|", Pattern.MULTILINE);

    static Set<String> codeKeys() {
        Set<String> keys = new TreeSet<>(ConfigCheck.KEYS);
        keys.add(BuilderSettings.PROJECTS); // a list, checked item by item
        keys.addAll(Stream.of("name", "clone-url", "production-branch", "webhook-secret-file")
                .map(k -> BuilderSettings.PROJECTS + "[]." + k).toList());
        return keys;
    }

    /** Every key with a row, in document order (repeats kept). */
    static List<String> documentedRows() throws IOException {
        List<String> keys = new ArrayList<>();
        Matcher m = ROW.matcher(Files.readString(DOC));
        while (m.find()) {
            keys.add(m.group(1));
        }
        return keys;
    }

    static Set<String> documentedKeys() throws IOException {
        return new TreeSet<>(documentedRows());
    }

    @Test
    void everyKeyHasOneRow() throws IOException {
        List<String> rows = documentedRows();
        assertThat(rows).as("rows of " + DOC).doesNotHaveDuplicates();
    }

    @Test
    void everyKeyTheCodeReadsIsDocumented() throws IOException {
        assertThat(documentedKeys()).as("keys in the tables of " + DOC).containsAll(codeKeys());
    }

    @Test
    void theDocumentListsNoKeyTheCodeDoesNotKnow() throws IOException {
        assertThat(codeKeys()).as("keys the code reads (ConfigCheck.KEYS)").containsAll(documentedKeys());
    }

    @Test
    void theKeyListIsNotEmptyAndHasEverySection() {
        // A guard against a test that cannot fail: the lists it compares must hold each section's keys.
        assertThat(codeKeys()).contains(ServerConfig.PORT, BuilderSettings.ADMIN_TOKEN_FILE,
                dev.ferry.builder.PipelineSettings.NIX_TIMEOUT, "ferry.deployer.reconcile-interval", LogSettings.FORMAT);
    }
}
