package dev.ferry.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP forwarder between a client and a server on loopback that fails on command, for fault injection. It passes
 * everything until the client has sent {@code tripAfter} bytes in total, then misbehaves until {@link #heal()}:
 * <ul>
 *   <li>{@link Fault#CUT_LARGE_REQUESTS}: any connection that sends more than 64 KiB from then on is cut (a part
 *       upload dies, every retry of it too), while small requests (abort, list, head) still pass;</li>
 *   <li>{@link Fault#DOWN}: every open connection is cut and new ones are closed at once, as if the server died.</li>
 * </ul>
 * Or, with {@link #cutAnswerOnce}, it cuts the answer to one request part-way (a download that breaks off). It records
 * what clients send ({@link #requests}).
 */
public final class FaultyTcpProxy implements AutoCloseable {
    public enum Fault { CUT_LARGE_REQUESTS, DOWN }

    private static final long LARGE = 64 * 1024;

    private final ServerSocket listener;
    private final int targetPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong sent = new AtomicLong();
    private volatile long tripAfter = Long.MAX_VALUE;
    private volatile Fault fault = Fault.DOWN;
    private volatile boolean tripped;
    private final AtomicLong cuts = new AtomicLong();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicReference<String> cutMarker =
            new java.util.concurrent.atomic.AtomicReference<>();
    private volatile long cutAfter;
    private volatile boolean recording;

    /** What one connection has answered, and after how many answer bytes it is to be cut. */
    private static final class Link {
        volatile long answered;
        volatile long cutAt = Long.MAX_VALUE;
    }

    public FaultyTcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("faulty-proxy-accept").start(this::acceptLoop);
    }

    public int port() {
        return listener.getLocalPort();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port();
    }

    /** Misbehaves as {@code fault} once {@code bytes} more bytes have gone from clients to the server. */
    public void failAfter(long bytes, Fault fault) {
        this.fault = fault;
        this.tripAfter = sent.get() + bytes;
    }

    /** Forwards faithfully again. */
    public void heal() {
        tripAfter = Long.MAX_VALUE;
        tripped = false;
    }

    public boolean tripped() {
        return tripped;
    }

    /** Connections cut so far. */
    public long cuts() {
        return cuts.get();
    }

    /**
     * Cuts, once, the answer to the first request whose bytes (one read from the client: a request head arrives in
     * one) contain {@code marker}, after {@code bytes} of that answer have passed.
     */
    public void cutAnswerOnce(String marker, long bytes) {
        this.cutAfter = bytes;
        this.recording = true;
        this.cutMarker.set(marker);
    }

    /**
     * What clients sent since {@link #cutAnswerOnce}, one entry per read (so a request head per entry, as HTTP
     * clients write them).
     */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                if (tripped && fault == Fault.DOWN) {
                    cut(client);
                    continue;
                }
                Socket server = new Socket();
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
                open.add(client);
                open.add(server);
                Link link = new Link();
                Thread.ofVirtual().start(() -> pump(client, server, true, link));
                Thread.ofVirtual().start(() -> pump(server, client, false, link));
            } catch (IOException e) {
                // listener closed, or the server refused: the client sees its connection closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean upstream, Link link) {
        byte[] buffer = new byte[16 * 1024];
        long sinceTrip = 0;
        try (from; to) {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buffer)) >= 0; ) {
                if (upstream) {
                    if (recording) {
                        String chunk = new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
                        requests.add(chunk);
                        String marker = cutMarker.get();
                        if (marker != null && chunk.contains(marker) && cutMarker.compareAndSet(marker, null)) {
                            link.cutAt = link.answered + cutAfter;
                        }
                    }
                    long total = sent.addAndGet(n);
                    if (!tripped && total > tripAfter) {
                        tripped = true;
                        if (fault == Fault.DOWN) {
                            cuts.incrementAndGet();
                            open.forEach(FaultyTcpProxy::cutQuietly);
                            return;
                        }
                    }
                    if (tripped) {
                        sinceTrip += n;
                        if (fault == Fault.DOWN || sinceTrip > LARGE) {
                            cut(from);
                            cutQuietly(to);
                            return;
                        }
                    }
                }
                if (!upstream && n >= link.cutAt - link.answered) {
                    out.write(buffer, 0, (int) (link.cutAt - link.answered));
                    out.flush();
                    cuts.incrementAndGet();
                    return; // closing both ends the answer part-way
                }
                out.write(buffer, 0, n);
                if (!upstream) {
                    link.answered += n;
                }
            }
        } catch (IOException e) {
            // one side went away: closing both (try-with-resources) passes that on
        } finally {
            open.remove(from);
            open.remove(to);
        }
    }

    private void cut(Socket socket) {
        cuts.incrementAndGet();
        cutQuietly(socket);
    }

    private static void cutQuietly(Socket socket) {
        try {
            socket.setSoLinger(true, 0); // RST, like a crash, rather than an orderly FIN
            socket.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        open.forEach(FaultyTcpProxy::cutQuietly);
    }
}
