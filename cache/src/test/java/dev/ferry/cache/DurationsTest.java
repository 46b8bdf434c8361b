package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
    @Test
    void unitsAndIso8601() {
        assertThat(Durations.parse("500ms")).contains(Duration.ofMillis(500));
        assertThat(Durations.parse("30s")).contains(Duration.ofSeconds(30));
        assertThat(Durations.parse(" 2M ")).contains(Duration.ofMinutes(2));
        assertThat(Durations.parse("1h")).contains(Duration.ofHours(1));
        assertThat(Durations.parse("7d")).contains(Duration.ofDays(7));
        assertThat(Durations.parse("0s")).contains(Duration.ZERO);
        assertThat(Durations.parse("PT1H30M")).contains(Duration.ofMinutes(90));
        assertThat(Durations.parse("-PT5S")).contains(Duration.ofSeconds(-5)); // the caller refuses the sign
        assertThat(Durations.parse("-5s")).contains(Duration.ofSeconds(-5));
    }

    @Test
    void whatIsNoDuration() {
        for (String text : new String[] {"", "5", "5 s", "1w", "s", "1.5h", "ten seconds", "9999999999999999s",
                "999999999999999d"}) {
            assertThat(Durations.parse(text)).as(text).isEmpty();
        }
    }
}
