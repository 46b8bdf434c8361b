package dev.ferry.deployer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for new activations from a configured range: never a hash of the name, always a port that nobody listens on
 * (checked by binding it) and that none of Ferry's own units holds (it may be starting and not listening yet).
 */
public final class PortAllocator {
    private final int first;
    private final int last;

    private PortAllocator(int first, int last) {
        this.first = first;
        this.last = last;
    }

    /** {@code first} to {@code last}, inclusive. */
    public static PortAllocator range(int first, int last) {
        if (first < 1 || last > 65535 || first > last) {
            throw new DeployerException("port range " + first + "-" + last + " is not a range of ports (1-65535)");
        }
        return new PortAllocator(first, last);
    }

    /** A free port outside {@code taken}; the search starts at a random place so two deployers rarely collide. */
    public int allocate(Set<Integer> taken) {
        int size = last - first + 1;
        int start = ThreadLocalRandom.current().nextInt(size);
        for (int i = 0; i < size; i++) {
            int port = first + (start + i) % size;
            if (!taken.contains(port) && bindable(port, false)) {
                return port;
            }
        }
        throw new DeployerException("no free port left in " + first + "-" + last + " (" + taken.size()
                + " held by Ferry's units)");
    }

    /**
     * Whether a socket can listen on {@code port} on loopback now. With {@code reuse} ({@code SO_REUSEADDR}, as most
     * servers set it), connections a stopped server left in {@code TIME_WAIT} do not count; without it they do.
     */
    static boolean bindable(int port, boolean reuse) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(reuse);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
