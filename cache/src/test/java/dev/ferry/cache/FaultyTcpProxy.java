package dev.ferry.cache;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP forwarder between a client and a server on loopback that fails on command, for fault injection. It passes
 * everything until the client has sent {@code tripAfter} bytes in total, then misbehaves until {@link #heal()}:
 * <ul>
 *   <li>{@link Fault#CUT_LARGE_REQUESTS}: any connection that sends more than 64 KiB from then on is cut (a part
 *       upload dies, every retry of it too), while small requests (abort, list, head) still pass;</li>
 *   <li>{@link Fault#DOWN}: every open connection is cut and new ones are closed at once, as if the server died.</li>
 * </ul>
 */
final class FaultyTcpProxy implements AutoCloseable {
    enum Fault { CUT_LARGE_REQUESTS, DOWN }

    private static final long LARGE = 64 * 1024;

    private final ServerSocket listener;
    private final int targetPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong sent = new AtomicLong();
    private volatile long tripAfter = Long.MAX_VALUE;
    private volatile Fault fault = Fault.DOWN;
    private volatile boolean tripped;
    private final AtomicLong cuts = new AtomicLong();

    FaultyTcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("faulty-proxy-accept").start(this::acceptLoop);
    }

    int port() {
        return listener.getLocalPort();
    }

    String endpoint() {
        return "http://127.0.0.1:" + port();
    }

    /** Misbehaves as {@code fault} once {@code bytes} more bytes have gone from clients to the server. */
    void failAfter(long bytes, Fault fault) {
        this.fault = fault;
        this.tripAfter = sent.get() + bytes;
    }

    /** Forwards faithfully again. */
    void heal() {
        tripAfter = Long.MAX_VALUE;
        tripped = false;
    }

    boolean tripped() {
        return tripped;
    }

    /** Connections cut so far. */
    long cuts() {
        return cuts.get();
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
                Thread.ofVirtual().start(() -> pump(client, server, true));
                Thread.ofVirtual().start(() -> pump(server, client, false));
            } catch (IOException e) {
                // listener closed, or the server refused: the client sees its connection closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean upstream) {
        byte[] buffer = new byte[16 * 1024];
        long sinceTrip = 0;
        try (from; to) {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buffer)) >= 0; ) {
                if (upstream) {
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
                out.write(buffer, 0, n);
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
