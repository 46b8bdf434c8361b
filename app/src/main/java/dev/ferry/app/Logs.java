package dev.ferry.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.server.LogSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * {@code ferry.log.format}: the java.util.logging formatter of the root logger's handlers (stderr). {@code json}
 * writes one object per line: {@code time}, {@code level}, {@code logger}, {@code message}, and {@code error} with
 * the stack trace when there is one.
 */
final class Logs {
    /** Held so the configuration is not lost when the logger is collected. */
    private static final Logger ROOT = Logger.getLogger("");
    /** Held so the levels set below are not lost when the loggers are collected. */
    private static final Logger CONNECTION_POOL = Logger.getLogger("com.zaxxer.hikari");
    private static final Logger HELIDON = Logger.getLogger("io.helidon");
    private static final Logger DBUS = Logger.getLogger("org.freedesktop.dbus");
    private static final Logger DEPLOYER = Logger.getLogger("dev.ferry.deployer");

    private Logs() {
    }

    /**
     * The database connection pool's start and stop lines and Helidon's start-up chatter (features, sockets), at INFO,
     * say nothing a user of any command needs; they show with {@code FERRY_DEBUG} set.
     */
    static void quietLibraries() {
        if (System.getenv("FERRY_DEBUG") == null) {
            CONNECTION_POOL.setLevel(java.util.logging.Level.WARNING);
            HELIDON.setLevel(java.util.logging.Level.WARNING);
            DBUS.setLevel(java.util.logging.Level.WARNING); // "Using transport ... for address ..." on every connect
        }
    }

    /**
     * A command that prints what the deployer did itself ({@code ferry deployer --once}): its steps on standard output
     * and every error of the pass (the report's) on standard error. The deployer's own log lines, INFO for each step
     * and WARNING for each failure, would say it all twice; only SEVERE stays. {@code FERRY_DEBUG} keeps everything.
     */
    static void quietDeployerSteps() {
        if (System.getenv("FERRY_DEBUG") == null) {
            DEPLOYER.setLevel(java.util.logging.Level.SEVERE);
        }
    }

    static void configure(LogSettings settings) {
        Formatter formatter = settings.format() == LogSettings.Format.JSON ? new JsonFormatter() : new SimpleFormatter();
        Handler[] handlers = ROOT.getHandlers();
        if (handlers.length == 0) {
            ConsoleHandler console = new ConsoleHandler();
            ROOT.addHandler(console);
            handlers = new Handler[] {console};
        }
        for (Handler handler : handlers) {
            handler.setFormatter(formatter);
        }
    }

    /** One JSON object per line. */
    static final class JsonFormatter extends Formatter {
        private static final ObjectMapper JSON = new ObjectMapper();

        @Override
        public String format(LogRecord record) {
            ObjectNode line = JSON.createObjectNode();
            line.put("time", Instant.ofEpochMilli(record.getMillis()).toString());
            line.put("level", record.getLevel().getName());
            line.put("logger", record.getLoggerName());
            line.put("message", formatMessage(record));
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                line.put("error", trace.toString());
            }
            return line.toString() + System.lineSeparator();
        }
    }
}
