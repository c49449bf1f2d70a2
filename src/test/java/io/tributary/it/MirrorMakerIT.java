package io.tributary.it;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.tributary.it.EcosystemSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MirrorMaker 2 between two real Liberty brokers, each with its own embedded ZooKeeper: a
 * MirrorSourceConnector on a Connect worker (its own JVM) of the target cluster replicates
 * {@code orders} from the source cluster into {@code source.orders} on the target, with keys,
 * values, headers, timestamps and partitions as they were; the topic's partition count and its
 * configs follow the source, as MirrorMaker 2 does by default. Topic ACL sync stays on (the default)
 * and finds that the source has no authorizer. The dedicated MirrorMaker driver also writes
 * heartbeats and checkpoints, and with {@code sync.group.offsets.enabled} commits a source group's
 * translated offsets on the target.
 */
class MirrorMakerIT {

    private static final String TOPIC = "orders";
    private static final String MIRRORED = "source." + TOPIC;
    private static LibertyServer source;
    private static LibertyServer target;
    private static Admin sourceAdmin;
    private static Admin targetAdmin;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        Map<String, String> settings = Map.of("group.initial.rebalance.delay.ms", "200", "group.min.session.timeout.ms", "1000");
        source = new LibertyServer(settings);
        target = new LibertyServer(settings);
        // Both start at once; each has its own embedded ZooKeeper, so they are two clusters.
        source.startNoWait();
        target.startNoWait();
        source.awaitReady();
        target.awaitReady();
        sourceAdmin = admin(source);
        targetAdmin = admin(target);
    }

    private static Admin admin(LibertyServer server) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    @AfterAll
    static void stop() {
        for (Admin a : new Admin[] {sourceAdmin, targetAdmin}) {
            if (a != null) {
                a.close(Duration.ofSeconds(5));
            }
        }
        for (LibertyServer s : new LibertyServer[] {source, target}) {
            if (s != null) {
                EcosystemSupport.printBrokerWarnings(s);
                s.close();
            }
        }
    }

    /** A record as compared between the clusters: where it is and everything it carries. */
    record Copy(int partition, long timestamp, String key, String value, List<String> headers) {
        static Copy of(ConsumerRecord<byte[], byte[]> r) {
            List<String> headers = new ArrayList<>();
            for (Header h : r.headers()) {
                headers.add(h.key() + "=" + (h.value() == null ? "null" : HexFormat.of().formatHex(h.value())));
            }
            return new Copy(r.partition(), r.timestamp(), r.key() == null ? null : HexFormat.of().formatHex(r.key()),
                    r.value() == null ? null : HexFormat.of().formatHex(r.value()), headers);
        }
    }

    private static List<Copy> contents(LibertyServer server, String topic) {
        return EcosystemSupport.readAll(server.kafkaBootstrap(), topic, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                .stream().map(Copy::of).toList();
    }

    private static void produce(int first, int count, int partitions) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, source.kafkaBootstrap(), ProducerConfig.LINGER_MS_CONFIG, 5),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = first; i < first + count; i++) {
                byte[] key = i % 10 == 0 ? null : ("order-" + i).getBytes(StandardCharsets.UTF_8);
                byte[] value = i % 17 == 0 ? null : ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
                List<Header> headers = new ArrayList<>();
                if (i % 3 == 0) {
                    headers.add(new RecordHeader("trace", new byte[] {(byte) i, 0, (byte) 0xff}));
                    headers.add(new RecordHeader("trace", ("again-" + i).getBytes(StandardCharsets.UTF_8)));
                }
                if (i % 5 == 0) {
                    headers.add(new RecordHeader("empty", null));
                }
                producer.send(new ProducerRecord<>(TOPIC, i % partitions, 1_700_000_000_000L + i, key, value, headers));
            }
            producer.flush();
        }
    }

    @Test
    void recordsHeadersPartitionsAndConfigsArriveOnTheTargetCluster() throws Exception {
        // No authorizer: MirrorMaker 2's topic ACL sync (on by default) takes this answer to mean "nothing to sync".
        ExecutionException noAcls = assertThrows(ExecutionException.class,
                () -> sourceAdmin.describeAcls(AclBindingFilter.ANY).values().get(30, TimeUnit.SECONDS));
        assertInstanceOf(SecurityDisabledException.class, noAcls.getCause());

        sourceAdmin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1)
                .configs(Map.of("retention.ms", "86400000", "max.message.bytes", "500000")))).all().get(30, TimeUnit.SECONDS);
        produce(0, 300, 3);

        JsonObject mirror = Json.createObjectBuilder()
                .add("connector.class", "org.apache.kafka.connect.mirror.MirrorSourceConnector")
                .add("tasks.max", "1")
                .add("source.cluster.alias", "source")
                .add("target.cluster.alias", "target")
                .add("source.cluster.bootstrap.servers", source.kafkaBootstrap())
                .add("target.cluster.bootstrap.servers", target.kafkaBootstrap())
                .add("topics", TOPIC)
                .add("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter")
                .add("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter")
                .add("header.converter", "org.apache.kafka.connect.converters.ByteArrayConverter")
                .add("replication.factor", "1")
                .add("offset-syncs.topic.replication.factor", "1")
                .add("refresh.topics.interval.seconds", "2")
                .add("sync.topic.configs.interval.seconds", "2")
                .build();

        try (ConnectWorker worker = new ConnectWorker(dir.resolve("worker"), target.kafkaBootstrap(), "mirror-target", Map.of())) {
            worker.start();
            assertEquals(201, worker.putConnector("mirror-source", mirror).status());
            await("the mirror connector to run", Duration.ofSeconds(60), () -> worker.running("mirror-source"));

            List<Copy> expected = contents(source, TOPIC);
            assertEquals(300, expected.size());
            await("every record on the target", Duration.ofSeconds(90), () -> contents(target, MIRRORED).size() >= expected.size());
            assertEquals(expected, contents(target, MIRRORED));

            // The mirrored topic: same partitions, the source's topic configs.
            assertEquals(3, partitions(target, MIRRORED));
            assertEquals("86400000", topicConfig(targetAdmin, MIRRORED, "retention.ms"));
            assertEquals("500000", topicConfig(targetAdmin, MIRRORED, "max.message.bytes"));

            // Changes on the source follow: a config and more partitions.
            sourceAdmin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, TOPIC), List.of(
                    new AlterConfigOp(new ConfigEntry("retention.ms", "172800000"), AlterConfigOp.OpType.SET))))
                    .all().get(30, TimeUnit.SECONDS);
            sourceAdmin.createPartitions(Map.of(TOPIC, NewPartitions.increaseTo(4))).all().get(30, TimeUnit.SECONDS);
            await("the config change on the target", Duration.ofSeconds(60),
                    () -> "172800000".equals(topicConfig(targetAdmin, MIRRORED, "retention.ms")));
            await("the new partition on the target", Duration.ofSeconds(60), () -> partitions(target, MIRRORED) == 4);
            produce(300, 100, 4);
            List<Copy> all = contents(source, TOPIC);
            await("the new records on the target", Duration.ofSeconds(90), () -> contents(target, MIRRORED).size() >= all.size());
            assertEquals(all, contents(target, MIRRORED));
        }
    }

    @Test
    void theDedicatedDriverMirrorsATopicWithHeartbeatsAndTranslatesGroupOffsets() throws Exception {
        String topic = "payments";
        String mirrored = "source." + topic;
        sourceAdmin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        producePayments(topic, 0, 30);
        // A consumer group on the source that has read all 30 records of each partition.
        commit("billing", topic, 30);

        Map<String, String> mm2 = new LinkedHashMap<>();
        mm2.put("clusters", "source, target");
        mm2.put("source.bootstrap.servers", source.kafkaBootstrap());
        mm2.put("target.bootstrap.servers", target.kafkaBootstrap());
        mm2.put("source->target.enabled", "true");
        mm2.put("target->source.enabled", "false");
        mm2.put("source->target.topics", topic);
        mm2.put("source->target.groups", "billing");
        mm2.put("emit.checkpoints.interval.seconds", "1");
        mm2.put("refresh.groups.interval.seconds", "2");
        mm2.put("refresh.topics.interval.seconds", "2");
        mm2.put("sync.group.offsets.enabled", "true");
        mm2.put("sync.group.offsets.interval.seconds", "1");
        // The source task writes the offset sync of a partition's latest record when the worker commits its offsets.
        mm2.put("target.offset.flush.interval.ms", "1000");
        mm2.put("plugin.discovery", "service_load");
        for (String rf : List.of("replication.factor", "offset-syncs.topic.replication.factor", "checkpoints.topic.replication.factor",
                "heartbeats.topic.replication.factor", "config.storage.replication.factor", "offset.storage.replication.factor",
                "status.storage.replication.factor")) {
            mm2.put(rf, "1");
        }
        Path properties = dir.resolve("mm2.properties");
        StringBuilder text = new StringBuilder();
        mm2.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
        Files.writeString(properties, text);
        Path log = dir.resolve("mirror-maker.log");
        // --clusters target: this driver runs the flows into the target cluster (source->target).
        Process driver = ConnectWorker.launch(log, "org.apache.kafka.connect.mirror.MirrorMaker",
                properties.toString(), "--clusters", "target");
        try {
            List<Copy> expected = contents(source, topic);
            await("every record on the target", Duration.ofSeconds(120), () -> {
                assertTrue(driver.isAlive(), "MirrorMaker exited:\n" + LibertyServer.tail(log, 60));
                return topicExists(targetAdmin, mirrored) && contents(target, mirrored).size() >= expected.size();
            });
            assertEquals(expected, contents(target, mirrored));

            // The checkpoint connector found the source's group and keeps its checkpoints topic on the target.
            assertTrue(topicExists(targetAdmin, "source.checkpoints.internal"));
            await("the checkpoint connector to find the billing group", Duration.ofSeconds(30),
                    () -> logContains(log, "Started MirrorCheckpointConnector with 1 consumer groups"));
            await("heartbeats on the target", Duration.ofSeconds(60), () -> topicExists(targetAdmin, "heartbeats")
                    && !EcosystemSupport.readAll(target.kafkaBootstrap(), "heartbeats", new ByteArrayDeserializer(),
                            new ByteArrayDeserializer()).isEmpty());

            // Group offsets: the group is at the end of each partition, where the offset sync of the last
            // record (upstream 29 = downstream 29) translates 30 to exactly 30 on the target.
            TopicPartition p0 = new TopicPartition(mirrored, 0);
            TopicPartition p1 = new TopicPartition(mirrored, 1);
            awaitGroupOffsets(driver, log, "billing", Map.of(p0, 30L, p1, 30L));

            // The group moves on upstream; the target group (now Empty there) follows.
            producePayments(topic, 30, 20);
            commit("billing", topic, 50);
            awaitGroupOffsets(driver, log, "billing", Map.of(p0, 50L, p1, 50L));
            assertEquals(contents(source, topic), contents(target, mirrored));
        } finally {
            driver.destroy();
            if (!driver.waitFor(60, TimeUnit.SECONDS)) {
                driver.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            System.out.println("--- MirrorMaker driver: warnings and errors ---");
            try (var lines = Files.lines(log)) {
                lines.filter(l -> l.startsWith("WARNING:") || l.startsWith("SEVERE:")).forEach(System.out::println);
            }
            System.out.println("--- MirrorMaker driver log (last 100 lines) ---\n" + LibertyServer.tail(log, 100));
        }
    }

    /** Records {@code first .. first+perPartition-1} on each of the two partitions of {@code topic}. */
    private static void producePayments(String topic, int first, int perPartition) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, source.kafkaBootstrap()), new StringSerializer(), new StringSerializer())) {
            for (int i = first; i < first + perPartition; i++) {
                for (int partition = 0; partition < 2; partition++) {
                    producer.send(new ProducerRecord<>(topic, partition, "payment-" + partition + "-" + i, "amount=" + i));
                }
            }
        }
    }

    /** Commits {@code offset} on both partitions of {@code topic} for {@code group} on the source, as a member of the group. */
    private static void commit(String group, String topic, long offset) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, source.kafkaBootstrap(), ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            await("the " + group + " consumer to get its partitions", Duration.ofSeconds(30), () -> {
                consumer.poll(Duration.ofMillis(200));
                return consumer.assignment().size() == 2;
            });
            consumer.commitSync(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(offset),
                    new TopicPartition(topic, 1), new OffsetAndMetadata(offset)));
        }
    }

    /** Waits until the target cluster's committed offsets of {@code group} are exactly {@code expected}. */
    private static void awaitGroupOffsets(Process driver, Path log, String group, Map<TopicPartition, Long> expected) {
        Map<TopicPartition, Long> seen = new LinkedHashMap<>();
        long started = System.nanoTime();
        try {
            await(group + " at " + expected + " on the target", Duration.ofSeconds(120), () -> {
                assertTrue(driver.isAlive(), "MirrorMaker exited:\n" + LibertyServer.tail(log, 60));
                seen.clear();
                try {
                    targetAdmin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
                            .forEach((tp, o) -> seen.put(tp, o == null ? null : o.offset()));
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
                return seen.equals(expected);
            });
            System.out.println(group + " at " + expected + " on the target after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last seen " + seen, e);
        }
    }

    private static boolean topicExists(Admin admin, String topic) {
        try {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic);
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean logContains(Path log, String text) {
        try {
            return Files.readString(log).contains(text);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static int partitions(LibertyServer server, String topic) {
        try (Admin a = admin(server)) {
            return a.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions().size();
        } catch (Exception e) {
            return -1;
        }
    }

    private static String topicConfig(Admin admin, String topic, String name) {
        try {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            return admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r).get(name).value();
        } catch (Exception e) {
            return null;
        }
    }

}
