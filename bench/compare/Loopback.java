import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Loopback TCP bandwidth, one of the physical limits bin/bench-compare prints: one connection on
 * 127.0.0.1, a writer thread sending MIB mebibytes in 64 KiB writes and a reader thread receiving
 * them, both in this JVM (pin it to the cores the benchmark uses). The time runs from the first
 * write to the last byte read.
 *
 * <p>Usage: {@code java bench/compare/Loopback.java MIB}; prints {@code LOOPBACK mib=… seconds=… mb_per_sec=… gbit_per_sec=…}
 * (MB = 2^20 bytes, Gbit = 10^9 bits).
 */
public final class Loopback {

    public static void main(String[] args) throws Exception {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 2048;
        long total = mib << 20;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    byte[] buffer = new byte[64 * 1024];
                    long n = 0;
                    for (int r; (r = in.read(buffer)) >= 0; ) {
                        n += r;
                    }
                    return n;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            long start;
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                 OutputStream out = s.getOutputStream()) {
                byte[] buffer = new byte[64 * 1024];
                start = System.nanoTime();
                for (long sent = 0; sent < total; sent += buffer.length) {
                    out.write(buffer);
                }
            }
            long bytes = received.get();
            double seconds = (System.nanoTime() - start) / 1e9;
            if (bytes != total) {
                throw new IllegalStateException("received " + bytes + " of " + total + " bytes");
            }
            System.out.printf(Locale.ROOT, "LOOPBACK mib=%d seconds=%.3f mb_per_sec=%.1f gbit_per_sec=%.2f%n",
                    mib, seconds, mib / seconds, bytes * 8 / seconds / 1e9);
        }
    }
}
