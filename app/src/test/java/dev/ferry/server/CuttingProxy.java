package dev.ferry.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP forwarder on loopback that cuts, once, the answer to the first request whose head contains {@code trigger},
 * after {@code cutAfter} bytes of it: a connection that drops part-way through a download. It records the head of
 * every request it forwards.
 */
final class CuttingProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final int targetPort;
    private final String trigger;
    private final long cutAfter;
    private final AtomicBoolean armed = new AtomicBoolean(true);
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile int cuts;

    CuttingProxy(int targetPort, String trigger, long cutAfter) throws IOException {
        this.targetPort = targetPort;
        this.trigger = trigger;
        this.cutAfter = cutAfter;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("cutting-proxy").start(this::accept);
    }

    String cacheUrl() {
        return "http://127.0.0.1:" + listener.getLocalPort() + "/cache";
    }

    /** The heads of the requests forwarded, in order. */
    List<String> requests() {
        return List.copyOf(requests);
    }

    int cuts() {
        return cuts;
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                open.add(client);
                open.add(server);
                Connection connection = new Connection(client, server);
                Thread.ofPlatform().daemon().start(connection::up);
                Thread.ofPlatform().daemon().start(connection::down);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private final class Connection {
        private final Socket client;
        private final Socket server;
        private volatile long answered;
        private volatile long cutAt = Long.MAX_VALUE;

        Connection(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        /** Client to server: requests are small, so each read holds a request head (curl sends it in one write). */
        void up() {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = client.getInputStream(); OutputStream out = server.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    String head = new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
                    requests.add(head);
                    if (head.contains(trigger) && armed.compareAndSet(true, false)) {
                        cutAt = answered + cutAfter;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // either side closed
            } finally {
                closeBoth();
            }
        }

        void down() {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = server.getInputStream(); OutputStream out = client.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    long room = cutAt - answered;
                    if (n >= room) {
                        out.write(buffer, 0, (int) room);
                        out.flush();
                        cuts++;
                        return;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                    answered += n;
                }
            } catch (IOException e) {
                // either side closed
            } finally {
                closeBoth();
            }
        }

        private void closeBoth() {
            try {
                client.close();
            } catch (IOException ignored) {
                // already closed
            }
            try {
                server.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket socket : open) {
            socket.close();
        }
    }
}
