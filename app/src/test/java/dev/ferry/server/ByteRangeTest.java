package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteRangeTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "bytes=0-       | 0   | 100", // what curl sends to resume from the start
            "bytes=40-      | 40  | 60",
            "bytes=40-59    | 40  | 20",
            "bytes=40-40    | 40  | 1",
            "bytes=99-      | 99  | 1",
            "bytes=40-500   | 40  | 60", // a last byte past the end is the end
            "bytes=-10      | 90  | 10",
            "bytes=-500     | 0   | 100",
            "BYTES = 40 - 59| 40  | 20",
    })
    void aSingleRangeInsideTheObjectIsAPart(String header, long first, long length) {
        ByteRange.Answer answer = ByteRange.of(header, 100);

        assertThat(answer).isEqualTo(new ByteRange.Part(new ByteRange(first, length, 100)));
        ByteRange range = ((ByteRange.Part) answer).range();
        assertThat(range.contentRange()).isEqualTo("bytes " + first + "-" + (first + length - 1) + "/100");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=100-", "bytes=100-200", "bytes=5000-", "bytes=-0"})
    void aRangeThatStartsAtOrPastTheEndIsUnsatisfiable(String header) {
        assertThat(ByteRange.of(header, 100)).isEqualTo(new ByteRange.Unsatisfiable(100));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "bytes", "bytes=", "bytes=-", "items=0-9", "bytes=9-0", "bytes=a-", "bytes=1-b",
            "bytes=0-9,20-29", "bytes=+1-", "bytes=99999999999999999999-", "bytes=1-2-3"})
    void anythingElseIsIgnoredAndTheWholeObjectSent(String header) {
        assertThat(ByteRange.of(header, 100)).isEqualTo(new ByteRange.Whole());
    }

}
