package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;

/**
 * Random valid NARs (from {@link NarTree}), read back exactly; and the same NARs mutated (bytes flipped, cut, inserted,
 * deleted, ranges duplicated, length fields set to huge values), which {@link NarReader} must either accept or reject
 * with {@link NixFormatException}: no other exception, no large allocation, no hang.
 */
class NarFuzzTest {
    /** Far more than reading any generated NAR needs (its 64 KiB buffer, small strings); far less than a huge length. */
    private static final long MAX_ALLOCATION = 16L << 20;
    private static final ExecutorService READER = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "nar-fuzz-reader");
        thread.setDaemon(true);
        return thread;
    });

    @Property(tries = 300)
    void validNarsAreReadBackExactly(@ForAll("trees") NarTree tree) {
        byte[] nar = tree.nar();
        RecordingVisitor visitor = new RecordingVisitor();
        assertThat(NarReader.read(new ByteArrayInputStream(nar), visitor)).isEqualTo(nar.length);
        assertThat(visitor.events()).containsExactlyElementsOf(tree.events());
    }

    @Property(tries = 300)
    void everyCutOfAValidNarIsTruncation(@ForAll("trees") NarTree tree, @ForAll @DoubleRange(max = 1.0, maxIncluded = false) double where) {
        byte[] nar = tree.nar();
        int length = (int) (where * nar.length);
        assertThatThrownBy(() -> NarReader.read(new ByteArrayInputStream(Arrays.copyOf(nar, length)), new RecordingVisitor()))
                .isInstanceOf(NixFormatException.class)
                .hasMessageStartingWith("malformed NAR at byte " + length + ": truncated NAR");
    }

    @Property(tries = 2000)
    void mutatedNarsAreAcceptedOrRejectedCleanly(@ForAll("trees") NarTree tree, @ForAll("mutations") List<Mutation> mutations)
            throws Throwable {
        byte[] nar = tree.nar();
        for (Mutation mutation : mutations) {
            nar = mutation.apply(nar);
        }
        byte[] input = nar;
        long allocated = withinSeconds(5, () -> {
            long before = allocatedBytes();
            try {
                NarReader.read(new ByteArrayInputStream(input), new RecordingVisitor());
            } catch (NixFormatException e) {
                assertThat(e.getMessage()).startsWith("malformed NAR at byte ");
            }
            return allocatedBytes() - before;
        });
        assertThat(allocated).isLessThan(MAX_ALLOCATION);
    }

    /** Runs {@code task} on the reader thread (one for all tries: a thread per try costs seconds), failing if it hangs. */
    private static long withinSeconds(int seconds, Callable<Long> task) throws Throwable {
        Future<Long> future = READER.submit(task);
        try {
            return future.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new AssertionError("NarReader did not finish within " + seconds + " s");
        } catch (ExecutionException e) {
            throw e.getCause();
        }
    }

    private static long allocatedBytes() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return threads.getCurrentThreadAllocatedBytes();
    }

    @Provide
    Arbitrary<NarTree> trees() {
        return NarTree.trees();
    }

    // Mutations. Positions are taken modulo the NAR's length, since they are drawn before the NAR is known.

    sealed interface Mutation {
        byte[] apply(byte[] nar);
    }

    record Flip(int position, int mask) implements Mutation {
        public byte[] apply(byte[] nar) {
            if (nar.length == 0) {
                return nar;
            }
            byte[] out = nar.clone();
            out[position % nar.length] ^= (byte) mask;
            return out;
        }
    }

    record Cut(int length) implements Mutation {
        public byte[] apply(byte[] nar) {
            return Arrays.copyOf(nar, nar.length == 0 ? 0 : length % nar.length);
        }
    }

    record Insert(int position, byte[] bytes) implements Mutation {
        public byte[] apply(byte[] nar) {
            int at = position % (nar.length + 1);
            byte[] out = new byte[nar.length + bytes.length];
            System.arraycopy(nar, 0, out, 0, at);
            System.arraycopy(bytes, 0, out, at, bytes.length);
            System.arraycopy(nar, at, out, at + bytes.length, nar.length - at);
            return out;
        }
    }

    record Delete(int position, int length) implements Mutation {
        public byte[] apply(byte[] nar) {
            if (nar.length == 0) {
                return nar;
            }
            int at = position % nar.length;
            int n = Math.min(length, nar.length - at);
            byte[] out = new byte[nar.length - n];
            System.arraycopy(nar, 0, out, 0, at);
            System.arraycopy(nar, at + n, out, at, nar.length - at - n);
            return out;
        }
    }

    record Duplicate(int from, int length, int to) implements Mutation {
        public byte[] apply(byte[] nar) {
            if (nar.length == 0) {
                return nar;
            }
            int start = from % nar.length;
            byte[] range = Arrays.copyOfRange(nar, start, Math.min(nar.length, start + length));
            return new Insert(to, range).apply(nar);
        }
    }

    /** Overwrites one aligned 8-byte word: every length and size field in a NAR is one. */
    record SetWord(int word, long value) implements Mutation {
        public byte[] apply(byte[] nar) {
            if (nar.length < 8) {
                return nar;
            }
            int at = (word % (nar.length / 8)) * 8;
            byte[] out = nar.clone();
            for (int i = 0; i < 8; i++) {
                out[at + i] = (byte) (value >>> (8 * i));
            }
            return out;
        }
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        Arbitrary<Integer> position = Arbitraries.integers().between(0, Integer.MAX_VALUE);
        Arbitrary<Integer> span = Arbitraries.integers().between(1, 64);
        Arbitrary<Long> huge = Arbitraries.of(0L, 1L, 7L, 64L, 65L, 255L, 256L, 4095L, 4096L, 1L << 27, 1L << 31, (1L << 32) + 1,
                1L << 62, Long.MAX_VALUE, -1L, -8L, Long.MIN_VALUE);
        Arbitrary<Mutation> mutation = Arbitraries.oneOf(
                Combinators.combine(position, Arbitraries.integers().between(1, 255)).as(Flip::new),
                position.map(Cut::new),
                Combinators.combine(position, Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(24)).as(Insert::new),
                Combinators.combine(position, span).as(Delete::new),
                Combinators.combine(position, span, position).as(Duplicate::new),
                Combinators.combine(position, huge).as(SetWord::new));
        return mutation.list().ofMinSize(1).ofMaxSize(3);
    }
}
