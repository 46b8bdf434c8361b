package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LogsTest {
    @Test
    void jsonIsOneObjectPerLineWithTheFormattedMessageAndTheTrace() throws Exception {
        LogRecord record = new LogRecord(Level.WARNING, "deployer: generation {0}: {1}");
        record.setParameters(new Object[] {12, "web: not ready\nafter 30s"});
        record.setLoggerName("dev.ferry.deployer.Deployer");
        record.setInstant(Instant.parse("2026-11-23T17:00:00Z"));
        record.setThrown(new IllegalStateException("boom"));
        String line = new Logs.JsonFormatter().format(record);
        assertThat(line).endsWith(System.lineSeparator());
        assertThat(line.strip()).doesNotContain("\n");
        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.get("time").asText()).isEqualTo("2026-11-23T17:00:00Z");
        assertThat(json.get("level").asText()).isEqualTo("WARNING");
        assertThat(json.get("logger").asText()).isEqualTo("dev.ferry.deployer.Deployer");
        assertThat(json.get("message").asText()).isEqualTo("deployer: generation 12: web: not ready\nafter 30s");
        assertThat(json.get("error").asText()).startsWith("java.lang.IllegalStateException: boom");
    }

    @Test
    void withoutAnErrorThereIsNoErrorField() throws Exception {
        LogRecord record = new LogRecord(Level.INFO, "build 7 (shop abc): succeeded, generation 3");
        record.setLoggerName("dev.ferry.server.MeteredPipeline");
        JsonNode json = new ObjectMapper().readTree(new Logs.JsonFormatter().format(record));
        assertThat(json.has("error")).isFalse();
        assertThat(json.get("message").asText()).isEqualTo("build 7 (shop abc): succeeded, generation 3");
    }
}
