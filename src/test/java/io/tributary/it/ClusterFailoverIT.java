package io.tributary.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Three Liberty brokers against one real ZooKeeper server: a replicated partition survives
 * {@code kill -9} of its leader without losing an acknowledged record.
 */
class ClusterFailoverIT {

    private static final String TOPIC = "failover";
    /** Short enough that a killed broker's registration expires quickly, long enough for a busy 2-core machine. */
    private static final int SESSION_TIMEOUT_MS = 6_000;

    private ZooKeeperProcess zooKeeper;
    private final List<LibertyServer> brokers = new ArrayList<>();

    @AfterEach
    void stopAll() {
        brokers.forEach(LibertyServer::close);
        if (zooKeeper != null) {
            zooKeeper.close();
        }
    }

    private void startCluster(int size) {
        zooKeeper = ZooKeeperProcess.start(1_000);
        for (int id = 1; id <= size; id++) {
            Map<String, String> props = new HashMap<>();
            props.put("broker.id", Integer.toString(id));
            props.put("zookeeper.connect", zooKeeper.connectString());
            props.put("zookeeper.session.timeout.ms", Integer.toString(SESSION_TIMEOUT_MS));
            props.put("advertised.host.name", "127.0.0.1");
            props.put("replica.lag.time.max.ms", "10000");
            props.put("replica.fetch.backoff.ms", "200");
            props.put("offsets.topic.num.partitions", "1");
            props.put("mp.openapi.scan.disable", "true");
            brokers.add(new LibertyServer(props)
                    .jvmOptions(List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")));
        }
        brokers.forEach(LibertyServer::startNoWait);
        brokers.forEach(b -> b.awaitReady(Duration.ofMinutes(8)));
    }

    private String bootstrap() {
        return brokers.stream().filter(LibertyServer::isAlive).map(LibertyServer::kafkaBootstrap)
                .collect(Collectors.joining(","));
    }

    private Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        return Admin.create(p);
    }

    private static TopicPartitionInfo describe(Admin admin) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(20, TimeUnit.SECONDS).get(TOPIC);
        return d.partitions().get(0);
    }

    private static <T> T await(String what, Duration timeout, Supplier<T> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return fail("Timed out after " + timeout + " waiting for " + what);
    }

    @Test
    void killingTheLeaderLosesNoAcknowledgedRecordAndTheKilledBrokerCatchesUp() throws Exception {
        startCluster(3);
        try (Admin admin = admin()) {
            await("three live brokers", Duration.ofSeconds(60), () -> {
                try {
                    return admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() == 3 ? true : null;
                } catch (Exception e) {
                    return null;
                }
            });
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3)
                    .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
            TopicPartitionInfo initial = await("a leader with all three replicas in sync", Duration.ofSeconds(60), () -> {
                try {
                    TopicPartitionInfo info = describe(admin);
                    return info.leader() != null && info.isr().size() == 3 ? info : null;
                } catch (Exception e) {
                    return null;
                }
            });
            assertEquals(3, initial.replicas().size());

            NavigableSet<Long> acked = new ConcurrentSkipListSet<>();
            Map<Long, Long> offsetOf = new ConcurrentHashMap<>();
            AtomicReference<Exception> sendError = new AtomicReference<>();
            AtomicBoolean producing = new AtomicBoolean(true);
            AtomicLong lastAckNanos = new AtomicLong();
            Map<String, Object> pp = new HashMap<>();
            pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
            pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
            pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
            pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            pp.put(ProducerConfig.ACKS_CONFIG, "all");
            pp.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            pp.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 180_000);
            pp.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 100);
            pp.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, 2_000);
            Thread producer;
            try (KafkaProducer<String, String> kp = new KafkaProducer<>(pp)) {
                producer = new Thread(() -> {
                    for (long seq = 0; producing.get(); seq++) {
                        long n = seq;
                        kp.send(new ProducerRecord<>(TOPIC, 0, null, Long.toString(n)), (md, e) -> {
                            if (e != null) {
                                sendError.compareAndSet(null, e);
                            } else {
                                acked.add(n);
                                offsetOf.put(n, md.offset());
                                lastAckNanos.set(System.nanoTime());
                            }
                        });
                        try {
                            Thread.sleep(2);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "failover-producer");
                producer.start();

                await("records acknowledged before the kill", Duration.ofSeconds(60), () -> acked.size() >= 500 ? true : null);
                int leaderId = initial.leader().id();
                LibertyServer leader = brokers.get(leaderId - 1);
                int ackedBeforeKill = acked.size();
                long killedAt = System.nanoTime();
                leader.kill();

                TopicPartitionInfo after = await("a new leader", Duration.ofSeconds(60), () -> {
                    try (Admin survivors = admin()) {
                        TopicPartitionInfo info = describe(survivors);
                        return info.leader() != null && info.leader().id() != leaderId ? info : null;
                    } catch (Exception e) {
                        return null;
                    }
                });
                long electedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                await("acknowledgements from the new leader", Duration.ofSeconds(60),
                        () -> lastAckNanos.get() > killedAt && acked.size() > ackedBeforeKill + 100 ? true : null);
                long resumedMs = TimeUnit.NANOSECONDS.toMillis(lastAckNanos.get() - killedAt);
                System.out.printf("Failover: broker %d killed; broker %d elected leader after %d ms (session timeout %d ms);"
                                + " acknowledged writes resumed within %d ms%n",
                        leaderId, after.leader().id(), electedMs, SESSION_TIMEOUT_MS, resumedMs);
                assertTrue(electedMs < 30_000, "new leader after " + electedMs + " ms");
                assertNotEquals(leaderId, after.leader().id());
                assertTrue(after.isr().stream().noneMatch(n -> n.id() == leaderId), "killed broker left the ISR: " + after.isr());

                long restartAt = System.nanoTime();
                leader.startNoWait();
                leader.awaitReady(Duration.ofMinutes(6));
                await("the restarted broker back in the ISR", Duration.ofSeconds(120), () -> {
                    try {
                        TopicPartitionInfo info = describe(admin);
                        return info.isr().stream().anyMatch(n -> n.id() == leaderId) ? true : null;
                    } catch (Exception e) {
                        return null;
                    }
                });
                System.out.printf("Broker %d restarted and rejoined the ISR after %d ms%n", leaderId,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartAt));

                int ackedNow = acked.size();
                await("acknowledgements with the restarted broker in the ISR", Duration.ofSeconds(60),
                        () -> acked.size() > ackedNow + 100 ? true : null);
                producing.set(false);
                producer.join(10_000);
                kp.flush();
            }
            assertNull(sendError.get(), () -> "a send failed: " + sendError.get());

            // Everything acknowledged is there, once, in order, at dense offsets.
            List<ConsumerRecord<String, String>> log = readAll();
            Set<Long> seen = ConcurrentHashMap.newKeySet();
            long previousSeq = -1;
            for (int i = 0; i < log.size(); i++) {
                ConsumerRecord<String, String> r = log.get(i);
                assertEquals(i, r.offset(), "offsets are dense");
                long seq = Long.parseLong(r.value());
                assertTrue(seq > previousSeq, "record " + seq + " at offset " + r.offset() + " after " + previousSeq);
                previousSeq = seq;
                seen.add(seq);
            }
            List<Long> missing = acked.stream().filter(s -> !seen.contains(s)).limit(10).toList();
            assertTrue(missing.isEmpty(), "acknowledged records missing from the log: " + missing);
            for (ConsumerRecord<String, String> r : log) {
                Long ackedOffset = offsetOf.get(Long.parseLong(r.value()));
                if (ackedOffset != null) {
                    assertEquals(ackedOffset, r.offset(), "record " + r.value() + " is where its acknowledgement said");
                }
            }
            System.out.printf("Verified %d acknowledged records in a log of %d%n", acked.size(), log.size());
        }
    }

    private List<ConsumerRecord<String, String>> readAll() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(out::add);
            }
            assertEquals(end, consumer.position(tp), "read up to the end offset");
        }
        return out;
    }
}
