import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Produce throughput over Tributary's REST API, for bin/bench-compare. Only the JDK
 * ({@code java.net.http}, HTTP/1.1), run through the source launcher:
 *
 * <pre>
 * java bench/rest/RestProduce.java v2       BASE_URL TOPIC RECORDS RECORD_SIZE BATCH IN_FLIGHT
 * java bench/rest/RestProduce.java v3stream BASE_URL TOPIC RECORDS RECORD_SIZE STREAMS PER_REQUEST
 * </pre>
 *
 * <ul>
 *   <li>{@code v2}: {@code POST /topics/TOPIC} batches of BATCH records
 *       ({@code application/vnd.kafka.binary.v2+json}, values of RECORD_SIZE random bytes, no key),
 *       IN_FLIGHT requests at a time (one thread and connection each). Latency is per request,
 *       from sending it to the whole answer.</li>
 *   <li>{@code v3stream}: STREAMS concurrent streaming requests to
 *       {@code POST /v3/clusters/C/topics/TOPIC/records}, each a chunked body of PER_REQUEST record
 *       objects ({@code BINARY} values of RECORD_SIZE bytes) one after another, answered line by
 *       line; each stream sends requests one after another until RECORDS are stored. Latency is per
 *       record, from the moment its bytes are handed to the HTTP client to its answer line. A request
 *       is bounded so that a client which reads answers only after its body is sent cannot fill both
 *       socket buffers.</li>
 * </ul>
 * Every answer is checked (each record must be stored); MB are 2^20 bytes of record values, as
 * Kafka's ProducerPerformance counts them. Prints progress every 5 s and one final line
 * {@code REST mode=… records=… seconds=… records_per_sec=… mb_per_sec=… p50=… p99=…} (ms); exits 1
 * on any failed request or record.
 */
public final class RestProduce {

    private static final Pattern CLUSTER_ID = Pattern.compile("\"cluster_id\"\\s*:\\s*\"([^\"]+)\"");

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final AtomicLong stored = new AtomicLong();
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final ConcurrentLinkedQueue<long[]> latencies = new ConcurrentLinkedQueue<>();

    public static void main(String[] args) throws Exception {
        if (args.length != 7 || !List.of("v2", "v3stream").contains(args[0])) {
            System.err.println("Usage: RestProduce v2|v3stream BASE_URL TOPIC RECORDS RECORD_SIZE BATCH|STREAMS IN_FLIGHT|PER_REQUEST");
            System.exit(2);
        }
        new RestProduce().run(args[0], args[1], args[2], Long.parseLong(args[3]), Integer.parseInt(args[4]),
                Integer.parseInt(args[5]), Integer.parseInt(args[6]));
    }

    private void run(String mode, String base, String topic, long records, int recordSize, int a, int b) throws Exception {
        byte[] payload = new byte[recordSize];
        new Random(42).nextBytes(payload);
        String value = Base64.getEncoder().encodeToString(payload);
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        if (mode.equals("v2")) {
            int batch = a;
            int inFlight = b;
            StringBuilder body = new StringBuilder("{\"records\":[");
            for (int i = 0; i < batch; i++) {
                body.append(i == 0 ? "" : ",").append("{\"value\":\"").append(value).append("\"}");
            }
            String batchBody = body.append("]}").toString();
            AtomicLong batchesLeft = new AtomicLong((records + batch - 1) / batch);
            URI uri = URI.create(base + "/topics/" + topic);
            for (int t = 0; t < inFlight; t++) {
                threads.add(new Thread(() -> v2Loop(uri, batchBody, batch, batchesLeft), "v2-" + t));
            }
        } else {
            int streams = a;
            int perRequest = b;
            String cluster = clusterId(base);
            URI uri = URI.create(base + "/v3/clusters/" + cluster + "/topics/" + topic + "/records");
            byte[] recordBytes = ("{\"value\":{\"type\":\"BINARY\",\"data\":\"" + value + "\"}}\n").getBytes(StandardCharsets.UTF_8);
            AtomicLong recordsLeft = new AtomicLong(records);
            for (int t = 0; t < streams; t++) {
                threads.add(new Thread(() -> v3Loop(uri, recordBytes, perRequest, recordsLeft), "v3-" + t));
            }
        }
        threads.forEach(Thread::start);
        long lastReport = start;
        long lastCount = 0;
        while (threads.stream().anyMatch(Thread::isAlive)) {
            Thread.sleep(200);
            long now = System.nanoTime();
            if (now - lastReport >= 5_000_000_000L) {
                long count = stored.get();
                System.out.printf(Locale.ROOT, "%,d records stored, %,.0f records/s%n", count,
                        (count - lastCount) / ((now - lastReport) / 1e9));
                lastReport = now;
                lastCount = count;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (failure.get() != null) {
            System.err.println("FAILED: " + failure.get());
            System.exit(1);
        }
        long[] all = latencies.stream().flatMapToLong(Arrays::stream).filter(l -> l >= 0).sorted().toArray();
        long count = stored.get();
        System.out.printf(Locale.ROOT, "REST mode=%s records=%d seconds=%.3f records_per_sec=%.1f mb_per_sec=%.3f p50=%.3f p99=%.3f%n",
                mode, count, seconds, count / seconds, count * (double) recordSize / (1 << 20) / seconds,
                pct(all, 50) / 1e6, pct(all, 99) / 1e6);
    }

    private void v2Loop(URI uri, String body, int batch, AtomicLong batchesLeft) {
        List<Long> mine = new ArrayList<>();
        HttpRequest request = HttpRequest.newBuilder(uri).header("Content-Type", "application/vnd.kafka.binary.v2+json")
                .header("Accept", "application/vnd.kafka.v2+json, application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            while (failure.get() == null && batchesLeft.getAndDecrement() > 0) {
                long sent = System.nanoTime();
                HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                mine.add(System.nanoTime() - sent);
                int ok = count(r.body(), "\"offset\"");
                if (r.statusCode() != 200 || ok != batch || r.body().contains("\"error_code\":4") || r.body().contains("\"error_code\":5")) {
                    failure.compareAndSet(null, "v2 answer " + r.statusCode() + " " + abbreviate(r.body()));
                    return;
                }
                stored.addAndGet(batch);
            }
        } catch (IOException e) {
            failure.compareAndSet(null, "v2 request failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            latencies.add(mine.stream().mapToLong(Long::longValue).toArray());
        }
    }

    private void v3Loop(URI uri, byte[] recordBytes, int perRequest, AtomicLong recordsLeft) {
        try {
            while (failure.get() == null) {
                long n = Math.min(perRequest, recordsLeft.getAndAdd(-perRequest));
                if (n <= 0) {
                    return;
                }
                AtomicLongArray handedAt = new AtomicLongArray((int) n);
                long[] latency = new long[(int) n];
                Arrays.fill(latency, -1);
                HttpRequest request = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new RecordStream(recordBytes, (int) n, handedAt)))
                        .build();
                HttpResponse<java.util.stream.Stream<String>> r = client.send(request, HttpResponse.BodyHandlers.ofLines());
                if (r.statusCode() != 200) {
                    failure.compareAndSet(null, "v3 stream answered " + r.statusCode() + " " + r.body().findFirst().orElse(""));
                    return;
                }
                int[] answered = {0};
                Iterator<String> lines = r.body().iterator();
                while (lines.hasNext()) {
                    String line = lines.next();
                    if (line.isBlank()) {
                        continue;
                    }
                    long now = System.nanoTime();
                    if (!line.contains("\"error_code\":200")) {
                        failure.compareAndSet(null, "v3 record answered " + abbreviate(line));
                        return;
                    }
                    int i = answered[0]++;
                    if (i < n) {
                        latency[i] = now - handedAt.get(i);
                    }
                    stored.incrementAndGet();
                }
                latencies.add(latency);
                if (answered[0] != n) {
                    failure.compareAndSet(null, "v3 stream answered " + answered[0] + " of " + n + " records");
                    return;
                }
            }
        } catch (IOException e) {
            failure.compareAndSet(null, "v3 request failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A request body of {@code count} copies of one record object, made as the HTTP client reads it. */
    private static final class RecordStream extends InputStream {
        private final byte[] record;
        private final int count;
        private final AtomicLongArray handedAt;
        private int index;
        private int position;

        RecordStream(byte[] record, int count, AtomicLongArray handedAt) {
            this.record = record;
            this.count = count;
            this.handedAt = handedAt;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (index >= count) {
                return -1;
            }
            // Fills the client's buffer; a record is timed when its first byte is handed over.
            int n = 0;
            while (n < len && index < count) {
                if (position == 0) {
                    handedAt.set(index, System.nanoTime());
                }
                int k = Math.min(len - n, record.length - position);
                System.arraycopy(record, position, b, off + n, k);
                position += k;
                n += k;
                if (position == record.length) {
                    position = 0;
                    index++;
                }
            }
            return n;
        }
    }

    private String clusterId(String base) throws IOException, InterruptedException {
        String body = client.send(HttpRequest.newBuilder(URI.create(base + "/v3/clusters")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = CLUSTER_ID.matcher(body);
        if (!m.find()) {
            throw new IllegalStateException("No cluster id in " + abbreviate(body));
        }
        return m.group(1);
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + what.length())) {
            n++;
        }
        return n;
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1))];
    }
}
