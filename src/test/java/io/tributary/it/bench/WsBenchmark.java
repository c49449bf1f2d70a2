package io.tributary.it.bench;

import io.tributary.it.LibertyServer;

import jakarta.json.Json;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * WebSocket delivery benchmark against a real Liberty started by the test harness: records/s and MB/s
 * delivered from a preloaded partition to 1 and to 10 subscribers (one record per frame and batched),
 * then live-tail latency from a produce frame sent to the record received, with 1 and 10
 * subscribers. The client runs in this JVM on the same machine. See bench/ws/README.md.
 *
 * <p>Usage: {@code bin/bench-ws [--records N] [--record-size B] [--latency-samples N]
 * [--http-port P] [--topic T] [--modes record,batched] [--subscribers 1,10] [--no-latency]
 * [--no-warm-up] [--broker-pid PID]}.
 * With {@code --http-port} it measures a broker already running on 127.0.0.1:P (as
 * {@code bin/bench-compare} does) instead of starting one; {@code --topic} names the preloaded
 * topic (created; it must not exist yet). Before the timed runs one batched read of the topic by
 * one subscriber warms the client (and the broker's path) and is not counted, unless
 * {@code --no-warm-up}. Each run reports the client's CPU time and, with {@code --broker-pid}, the
 * broker process's (from /proc).
 */
public final class WsBenchmark {

    private static int records = 200_000;
    private static int recordSize = 200;
    private static int latencySamples = 2_000;
    private static int httpPort;
    private static String topic = "bench";
    private static List<Boolean> modes = List.of(false, true);
    private static List<Integer> subscriberCounts = List.of(1, 10);
    private static boolean latency = true;
    private static long brokerPid;
    private static boolean warmUp = true;

    private WsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--records" -> records = Integer.parseInt(args[++i]);
                case "--record-size" -> recordSize = Integer.parseInt(args[++i]);
                case "--latency-samples" -> latencySamples = Integer.parseInt(args[++i]);
                case "--http-port" -> httpPort = Integer.parseInt(args[++i]);
                case "--topic" -> topic = args[++i];
                case "--modes" -> modes = Arrays.stream(args[++i].split(",")).map(m -> switch (m) {
                    case "record" -> false;
                    case "batched" -> true;
                    default -> throw new IllegalArgumentException("--modes takes record and/or batched, not " + m);
                }).toList();
                case "--subscribers" -> subscriberCounts = Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
                case "--no-latency" -> latency = false;
                case "--broker-pid" -> brokerPid = Long.parseLong(args[++i]);
                case "--no-warm-up" -> warmUp = false;
                default -> throw new IllegalArgumentException("Unknown argument " + args[i]);
            }
        }
        if (httpPort > 0) {
            run();
        } else {
            System.out.printf("Starting Liberty (records=%d, record value ~%d bytes)...%n", records, recordSize);
            try (LibertyServer server = new LibertyServer(Map.of("ws.credit.max.records", "100000000")).start()) {
                httpPort = server.httpPort();
                run();
            }
        }
        System.exit(0);
    }

    private static void run() throws Exception {
        preload();
        if (warmUp) {
            // Not counted: the client is a fresh JVM, and a run of 50,000 batched records lasts a
            // fraction of a second, so without this pass the first run measures the client's JIT
            // compiler (and the broker's first reads of the topic) more than the delivery.
            throughput(1, true, "Warm-up (not counted)");
        }
        for (boolean batch : modes) {
            for (int subscribers : subscriberCounts) {
                throughput(subscribers, batch);
            }
        }
        if (latency) {
            for (int subscribers : subscriberCounts) {
                latency(subscribers);
            }
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static String post(String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException("POST " + path + " answered " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    private static void preload() throws Exception {
        String clusters = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v3/clusters")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        String cluster;
        try (var reader = Json.createReader(new StringReader(clusters))) {
            cluster = reader.readObject().getJsonArray("data").getJsonObject(0).getString("cluster_id");
        }
        post("/v3/clusters/" + cluster + "/topics",
                "{\"topic_name\":\"" + topic + "\",\"partitions_count\":1,\"replication_factor\":1}");
        if (latency) {
            post("/v3/clusters/" + cluster + "/topics",
                    "{\"topic_name\":\"" + topic + "-live\",\"partitions_count\":1,\"replication_factor\":1}");
        }
        String pad = "x".repeat(Math.max(0, recordSize - 20));
        long start = System.nanoTime();
        for (int done = 0; done < records; ) {
            int n = Math.min(1_000, records - done);
            StringBuilder body = new StringBuilder("{\"records\":[");
            for (int i = 0; i < n; i++) {
                body.append(i == 0 ? "" : ",").append("{\"value\":{\"n\":").append(done + i).append(",\"p\":\"").append(pad).append("\"}}");
            }
            post("/topics/" + topic + "/partitions/0", body.append("]}").toString());
            done += n;
        }
        System.out.printf("Preloaded %d records in %d ms%n", records, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    /**
     * Counts records and bytes; frames are not parsed, records are counted by their type tag. Without
     * arrival times (the throughput runs) each chunk the client hands over is searched as it comes,
     * with the few chars before it that may hold the start of a tag split between chunks, instead of
     * first copying every frame into one string: the client then does little more per byte than the
     * JDK's own reading and UTF-8 decoding. With arrival times (the latency runs, one small record per
     * frame) the whole frame is assembled to read its record's number.
     */
    private static final class Counter implements WebSocket.Listener {
        private static final String RECORD_TAG = "\"type\":\"record\"";

        final AtomicLong records = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong frames = new AtomicLong();
        final CompletableFuture<Long> done = new CompletableFuture<>();
        final long expected;
        final Map<Long, Long> arrivals;
        private final StringBuilder partial = new StringBuilder();
        /** The end of the previous chunk of this frame that could be the start of a tag. */
        private String carry = "";

        Counter(long expected, Map<Long, Long> arrivals) {
            this.expected = expected;
            this.arrivals = arrivals;
        }

        @Override
        public void onOpen(WebSocket ws) {
            ws.request(Long.MAX_VALUE);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            if (arrivals != null) {
                return onWholeText(data, last);
            }
            String text = carry.isEmpty() ? data.toString() : carry + data;
            bytes.addAndGet(data.length());
            int n = 0;
            for (int at = text.indexOf(RECORD_TAG); at >= 0; at = text.indexOf(RECORD_TAG, at + RECORD_TAG.length())) {
                n++;
            }
            // A whole tag never fits in the carry, so none is counted twice.
            carry = last ? "" : text.substring(Math.max(0, text.length() - (RECORD_TAG.length() - 1)));
            if (last) {
                frames.incrementAndGet();
            }
            // The run ends with the whole frame that holds the last record.
            if (records.addAndGet(n) >= expected && last) {
                done.complete(System.nanoTime());
            }
            return null;
        }

        private CompletionStage<?> onWholeText(CharSequence data, boolean last) {
            partial.append(data);
            if (!last) {
                return null;
            }
            long now = System.nanoTime();
            String text = partial.toString();
            partial.setLength(0);
            bytes.addAndGet(text.length());
            frames.incrementAndGet();
            int n = 0;
            for (int at = text.indexOf(RECORD_TAG); at >= 0; at = text.indexOf(RECORD_TAG, at + 1)) {
                n++;
            }
            if (n == 1) {
                int at = text.indexOf("\"n\":");
                if (at >= 0) {
                    int end = at + 4;
                    while (end < text.length() && Character.isDigit(text.charAt(end))) {
                        end++;
                    }
                    arrivals.put(Long.parseLong(text.substring(at + 4, end)), now);
                }
            }
            if (records.addAndGet(n) >= expected) {
                done.complete(now);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
            done.completeExceptionally(new IllegalStateException("closed " + code + " " + reason));
            return null;
        }
    }

    private static WebSocket open(WebSocket.Listener listener) {
        return HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + httpPort + "/ws/v1/stream"), listener).join();
    }

    private static void throughput(int subscribers, boolean batch) throws Exception {
        throughput(subscribers, batch, "Throughput");
    }

    /** One run: {@code subscribers} sessions each read every preloaded record from earliest; {@code label} starts its line. */
    private static void throughput(int subscribers, boolean batch, String label) throws Exception {
        List<Counter> counters = new ArrayList<>();
        List<WebSocket> sockets = new ArrayList<>();
        for (int i = 0; i < subscribers; i++) {
            Counter c = new Counter(records, null);
            counters.add(c);
            sockets.add(open(c));
        }
        long clientCpu0 = clientCpuNanos();
        long brokerCpu0 = brokerCpuNanos();
        long start = System.nanoTime();
        for (WebSocket ws : sockets) {
            ws.sendText("{\"type\":\"credit\",\"records\":" + records + "}", true).join();
            ws.sendText("{\"type\":\"subscribe\",\"topics\":[{\"topic\":\"" + topic + "\",\"from\":\"earliest\"}],\"batch\":" + batch + "}",
                    true).join();
        }
        long end = 0;
        for (Counter c : counters) {
            end = Math.max(end, c.done.get(10, TimeUnit.MINUTES));
        }
        double seconds = (end - start) / 1e9;
        double clientCpu = (clientCpuNanos() - clientCpu0) / 1e9;
        double brokerCpu = (brokerCpuNanos() - brokerCpu0) / 1e9;
        long totalRecords = counters.stream().mapToLong(c -> c.records.get()).sum();
        long totalBytes = counters.stream().mapToLong(c -> c.bytes.get()).sum();
        long frames = counters.stream().mapToLong(c -> c.frames.get()).sum();
        System.out.printf(Locale.ROOT, "%s %-7s %2d subscriber(s): %,10.0f records/s  %7.1f MB/s  (%,d records, %.1f MB of frames in %.2f s)"
                        + "  frames %,d  client CPU %.2f s%s%n",
                label, batch ? "batched" : "record", subscribers, totalRecords / seconds, totalBytes / seconds / 1e6,
                totalRecords, totalBytes / 1e6, seconds, frames, clientCpu,
                brokerPid > 0 ? String.format(Locale.ROOT, "  broker CPU %.2f s", brokerCpu) : "");
        for (WebSocket ws : sockets) {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        }
    }

    private static void latency(int subscribers) throws Exception {
        List<Map<Long, Long>> arrivals = new ArrayList<>();
        List<Counter> counters = new ArrayList<>();
        List<WebSocket> sockets = new ArrayList<>();
        for (int i = 0; i < subscribers; i++) {
            Map<Long, Long> a = new ConcurrentHashMap<>();
            arrivals.add(a);
            Counter c = new Counter(latencySamples, a);
            counters.add(c);
            WebSocket ws = open(c);
            ws.sendText("{\"type\":\"credit\",\"records\":" + latencySamples + "}", true).join();
            ws.sendText("{\"type\":\"subscribe\",\"topics\":[{\"topic\":\"" + topic + "-live\",\"from\":\"latest\"}]}", true).join();
            sockets.add(ws);
        }
        Thread.sleep(500);
        WebSocket producer = open(new WebSocket.Listener() {
            @Override
            public void onOpen(WebSocket ws) {
                ws.request(Long.MAX_VALUE);
            }
        });
        long[] sent = new long[latencySamples];
        String pad = "x".repeat(Math.max(0, recordSize - 20));
        for (int i = 0; i < latencySamples; i++) {
            String frame = "{\"type\":\"produce\",\"id\":\"" + i + "\",\"topic\":\"" + topic + "-live\",\"records\":[{\"value\":{\"type\":\"JSON\",\"data\":{\"n\":"
                    + i + ",\"p\":\"" + pad + "\"}}}]}";
            sent[i] = System.nanoTime();
            producer.sendText(frame, true).join();
            // One record per millisecond or so: a live stream, not a bulk load.
            long until = sent[i] + 1_000_000;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        }
        for (Counter c : counters) {
            c.done.get(2, TimeUnit.MINUTES);
        }
        long[] micros = new long[latencySamples * subscribers];
        int k = 0;
        for (Map<Long, Long> a : arrivals) {
            for (int i = 0; i < latencySamples; i++) {
                micros[k++] = (a.get((long) i) - sent[i]) / 1_000;
            }
        }
        Arrays.sort(micros);
        System.out.printf(Locale.ROOT, "Latency %2d subscriber(s), produce frame sent -> record received (%d samples): p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms%n",
                subscribers, micros.length, pct(micros, 50) / 1e3, pct(micros, 99) / 1e3, pct(micros, 99.9) / 1e3,
                micros[micros.length - 1] / 1e3);
        producer.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        for (WebSocket ws : sockets) {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        }
        // The next run subscribes from latest again; skip what this run produced.
    }

    /** CPU time of this (the client's) process so far. */
    private static long clientCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * User + system CPU time of the broker's process so far (from /proc, in clock ticks of 10 ms), or 0
     * without {@code --broker-pid}. The command name in /proc/PID/stat may hold spaces: fields are
     * counted after its closing parenthesis.
     */
    private static long brokerCpuNanos() throws java.io.IOException {
        if (brokerPid <= 0) {
            return 0;
        }
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + brokerPid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    }

    private static long pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
