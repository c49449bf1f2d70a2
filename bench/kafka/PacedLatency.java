import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * End-to-end latency at a fixed, moderate rate, for bin/bench-compare. Kafka's EndToEndLatency
 * (kafka-tools) has no rate option: it sends one record and waits for it before the next, which
 * measures a closed loop. This client sends RATE records per second on a schedule (open loop: a slow
 * answer does not delay the next send) and one consumer in the same JVM, which assign()s every
 * partition from the end, times each record from just before {@code send()} to the {@code poll()}
 * that returns it; both timestamps come from this JVM's {@code System.nanoTime()}. Records are
 * RECORD_SIZE bytes, the first 8 holding their sequence number. The producer sends each record at
 * once ({@code linger.ms=0}) with the given acks.
 *
 * <p>Run with the kafka-tools classpath through the source launcher:
 * {@code java -cp CP bench/kafka/PacedLatency.java BOOTSTRAP TOPIC RATE SECONDS RECORD_SIZE ACKS [WARM_UP_SECONDS]}:
 * WARM_UP_SECONDS (default 0) of records at the same rate go first and are not timed.
 * Prints one line {@code LATENCY samples=N rate=R achieved=… behind_max=… p50=… p99=… p999=… max=…}:
 * {@code achieved} is the send rate reached (records/s, from the first send to the last),
 * {@code behind_max} how late the latest send was against its schedule, the rest the latencies
 * (milliseconds); exits 1 if a record is missing 30 s after the last send.
 */
public final class PacedLatency {

    public static void main(String[] args) throws Exception {
        if (args.length != 6 && args.length != 7) {
            System.err.println("Usage: PacedLatency BOOTSTRAP TOPIC RATE SECONDS RECORD_SIZE ACKS [WARM_UP_SECONDS]");
            System.exit(2);
        }
        String bootstrap = args[0];
        String topic = args[1];
        int rate = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        int recordSize = Math.max(8, Integer.parseInt(args[4]));
        String acks = args[5];
        int total = rate * seconds;
        // Records sent at the same rate before the measured ones and not timed, so both JVMs' JIT
        // compilers and the clients' buffers are warm when timing starts.
        int warmUp = args.length == 7 ? rate * Integer.parseInt(args[6]) : 0;
        // Written by the sender thread, read by the consumer's: an atomic array makes the write visible.
        AtomicLongArray sentAt = new AtomicLongArray(total);
        long[] latencyNanos = new long[total];
        Arrays.fill(latencyNanos, -1);
        // Filled in by the sender when it is done (read after join()): how long it took from the first
        // send to the last, and how far behind schedule a send went out at most.
        long[] sendStats = new long[2];

        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-latency-consumer");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-latency-producer");
        p.put(ProducerConfig.ACKS_CONFIG, acks);
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());

        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map((PartitionInfo i) -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolve the end offsets before the first send
            // One record first, outside the measurement: connections and metadata are set up.
            producer.send(new ProducerRecord<>(topic, ByteBuffer.allocate(recordSize).putLong(0, -1).array())).get();

            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread sender = new Thread(() -> {
                long warmStart = System.nanoTime();
                for (int i = 0; i < warmUp && failure.get() == null; i++) {
                    long due = warmStart + i * 1_000_000_000L / rate;
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    producer.send(new ProducerRecord<>(topic, ByteBuffer.allocate(recordSize).putLong(0, -2).array()),
                            (m, e) -> {
                                if (e != null) {
                                    failure.compareAndSet(null, e);
                                }
                            });
                }
                long start = warmUp > 0 ? warmStart + warmUp * 1_000_000_000L / rate : System.nanoTime();
                long maxBehind = 0;
                long last = start;
                for (int i = 0; i < total && failure.get() == null; i++) {
                    // Due times are absolute (not "period after the last send"): a late wake-up is made up
                    // by sending the records now due at once, so the rate holds even when parkNanos
                    // oversleeps a 100 µs period (10,000 records/s).
                    long due = start + i * 1_000_000_000L / rate;
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    byte[] value = ByteBuffer.allocate(recordSize).putLong(0, i).array();
                    last = System.nanoTime();
                    maxBehind = Math.max(maxBehind, last - due);
                    sentAt.set(i, last);
                    producer.send(new ProducerRecord<>(topic, value), (m, e) -> {
                        if (e != null) {
                            failure.compareAndSet(null, e);
                        }
                    });
                }
                sendStats[0] = last - start;
                sendStats[1] = maxBehind;
            }, "paced-sender");
            sender.start();

            int received = 0;
            long lastSendDeadline = Long.MAX_VALUE;
            while (received < total) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.nanoTime();
                    long seq = ByteBuffer.wrap(r.value()).getLong(0);
                    if (seq >= 0 && seq < total && latencyNanos[(int) seq] < 0) {
                        latencyNanos[(int) seq] = now - sentAt.get((int) seq);
                        received++;
                    }
                }
                if (failure.get() != null) {
                    throw new IllegalStateException("a send failed", failure.get());
                }
                if (!sender.isAlive() && lastSendDeadline == Long.MAX_VALUE) {
                    lastSendDeadline = System.nanoTime() + 30_000_000_000L;
                }
                if (System.nanoTime() > lastSendDeadline) {
                    System.err.printf("Only %d of %d records arrived within 30 s of the last send%n", received, total);
                    System.exit(1);
                }
            }
            sender.join();
        }
        // The first send is due at 0 and the last at (total - 1) / rate s: the achieved rate counts the
        // gaps between sends, so a sender on schedule reports the requested rate.
        double achieved = total > 1 && sendStats[0] > 0 ? (total - 1) * 1e9 / sendStats[0] : rate;
        long[] sorted = latencyNanos.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "LATENCY samples=%d rate=%d achieved=%.1f behind_max=%.3f p50=%.3f p99=%.3f p999=%.3f"
                + " max=%.3f%n", total, rate, achieved, sendStats[1] / 1e6,
                pct(sorted, 50) / 1e6, pct(sorted, 99) / 1e6, pct(sorted, 99.9) / 1e6, sorted[sorted.length - 1] / 1e6);
    }

    private static long pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1))];
    }
}
