package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Compressing with and without a known size, and what a wrong size does. */
class CompressionTest {
    /** Half text-like, half random: compressible, but not trivially. */
    private static byte[] sample(int size) {
        byte[] bytes = new byte[size];
        SplittableRandom random = new SplittableRandom(size);
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i % 2 == 0 ? 'a' + (i / 7) % 26 : random.nextInt(256));
        }
        return bytes;
    }

    private static byte[] roundTrip(Compression compression, byte[] input, boolean knownSize, int chunk) throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream out = knownSize ? compression.compress(compressed, input.length) : compression.compress(compressed)) {
            for (int off = 0; off < input.length; off += chunk) {
                out.write(input, off, Math.min(chunk, input.length - off));
            }
        }
        return compressed.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 13_000, 200_000, 5 << 20})
    void everyCompressionRoundTripsWithAndWithoutTheSize(int size) throws IOException {
        byte[] input = sample(size);
        for (Compression compression : Compression.values()) {
            for (boolean knownSize : new boolean[] {true, false}) {
                byte[] compressed = roundTrip(compression, input, knownSize, 65_536);
                byte[] back = compression.decompress(new java.io.ByteArrayInputStream(compressed)).readAllBytes();
                assertThat(back).as("%s, size known: %s", compression, knownSize).isEqualTo(input);
            }
        }
    }

    @Test
    void aKnownSizeIsRecordedInTheFrameAndShrinksZstdsWorkForSmallInputs() throws IOException {
        byte[] input = sample(13_000);
        byte[] known = roundTrip(Compression.ZSTD, input, true, 4096);
        assertThat(Zstd.getFrameContentSize(known)).isEqualTo(13_000L);
        assertThat(Zstd.getFrameContentSize(roundTrip(Compression.ZSTD, input, false, 4096))).isLessThan(0L);
        assertThat(known.length).isLessThan(input.length);
    }

    @Test
    void writingMoreThanTheKnownSizeFailsBeforeZstdSeesIt() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream out = Compression.ZSTD.compress(sink, 10);
        out.write(new byte[8]);
        assertThatThrownBy(() -> out.write(new byte[3]))
                .isInstanceOf(ZstdCompressingStream.SizeMismatchException.class)
                .hasMessageContaining("more than the 10 bytes");
        // Writing up to the size after the refusal does not make a frame that silently lacks the refused bytes.
        out.write(new byte[2]);
        assertThatThrownBy(out::close).isInstanceOf(ZstdCompressingStream.SizeMismatchException.class)
                .hasMessageContaining("more refused");
        assertThat(sink.size()).as("nothing of an unfinished frame").isZero();
    }

    @Test
    void closingShortOfTheKnownSizeFailsAndClosesTheUnderlyingStream() throws IOException {
        boolean[] closed = {false};
        OutputStream sink = new OutputStream() {
            @Override
            public void write(int b) {
            }

            @Override
            public void close() {
                closed[0] = true;
            }
        };
        OutputStream out = Compression.ZSTD.compress(sink, 10);
        out.write(new byte[9]);
        assertThatThrownBy(out::close).isInstanceOf(ZstdCompressingStream.SizeMismatchException.class)
                .hasMessageContaining("10 bytes were announced but 9 written");
        assertThat(closed[0]).isTrue();
        out.close(); // a second close does nothing
        assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @Test
    void flushHandsOverEverythingWrittenSoFar() throws IOException {
        byte[] input = sample(50_000);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream out = Compression.ZSTD.compress(sink, input.length * 2L);
        out.write(input);
        out.flush();
        // The frame is open, but a streaming decoder already gets all of the input back.
        try (var in = Compression.ZSTD.decompress(new java.io.ByteArrayInputStream(sink.toByteArray()))) {
            assertThat(in.readNBytes(input.length)).isEqualTo(input);
        }
        out.write(input);
        out.close();
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aNegativeSizeIsABug(Compression compression) {
        assertThatThrownBy(() -> compression.compress(new ByteArrayOutputStream(), -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anXzStreamThatWouldTakeMoreMemoryThanAnyPresetIsRefused() {
        // 64 bytes whose block header declares a 1.5 GiB dictionary, holding "hello": the decoder would allocate it.
        byte[] bomb = java.util.HexFormat.of().parseHex("fd377a585a000004e6d6b44602002101250000003b787b41"
                + "01000468656c6c6f00000000b137b9dbe5da1e9b00011d05b82d80af1fb6f37d010000000004595a");
        assertThatThrownBy(() -> Compression.XZ.decompress(new java.io.ByteArrayInputStream(bomb)).readAllBytes())
                .isInstanceOf(org.tukaani.xz.MemoryLimitException.class)
                .hasMessageContaining("memory");
    }
}
