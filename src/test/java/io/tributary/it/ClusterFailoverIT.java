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
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Properties;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fault tests: three Liberty brokers against one real ZooKeeper server process, each scenario on a
 * topic of its own with one partition, RF=3 and {@code min.insync.replicas=2}, under an idempotent
 * {@code acks=all} producer writing continuously and a consumer reading. Each checks the whole log
 * against what the producer saw acknowledged (every acknowledged record present, once, in order, at
 * the offset its acknowledgement named, and no gap in the acknowledged sequence) and prints how long
 * failover took.
 *
 * <p>Starting three servers costs minutes here, so the scenarios share one cluster; each begins by
 * bringing every broker back (restarting the ones an earlier scenario left down), so none depends
 * on another having run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFailoverIT {

    /** Short enough that a killed broker's registration expires quickly, long enough for a busy 2-core machine. */
    private static final int SESSION_TIMEOUT_MS = 6_000;
    private static final Pattern CONTROLLER = Pattern.compile("\"controller\"\\s*:\\s*true");

    private ZooKeeperProcess zooKeeper;
    private final List<LibertyServer> brokers = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void startCluster() {
        zooKeeper = ZooKeeperProcess.start(1_000);
        for (int id = 1; id <= 3; id++) {
            Map<String, String> props = new HashMap<>();
            props.put("broker.id", Integer.toString(id));
            props.put("zookeeper.connect", zooKeeper.connectString());
            props.put("zookeeper.session.timeout.ms", Integer.toString(SESSION_TIMEOUT_MS));
            props.put("advertised.host.name", "127.0.0.1");
            props.put("replica.lag.time.max.ms", "10000");
            props.put("replica.fetch.backoff.ms", "200");
            props.put("offsets.topic.num.partitions", "1");
            props.put("leader.imbalance.check.interval.seconds", "5");
            props.put("mp.openapi.scan.disable", "true");
            brokers.add(new LibertyServer(props).jvmOptions(List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError")));
        }
        brokers.forEach(LibertyServer::startNoWait);
        brokers.forEach(b -> b.awaitReady(Duration.ofMinutes(8)));
    }

    @AfterAll
    void stopCluster() {
        brokers.forEach(LibertyServer::close);
        if (zooKeeper != null) {
            zooKeeper.close();
        }
    }

    /** Every broker running and registered, whatever an earlier scenario left behind. */
    @BeforeEach
    void restoreAllBrokers() {
        List<LibertyServer> started = new ArrayList<>();
        for (LibertyServer b : brokers) {
            if (b.isPaused()) {
                b.resume();
            }
            if (!b.isAlive()) {
                b.startNoWait();
                started.add(b);
            }
        }
        started.forEach(b -> b.awaitReady(Duration.ofMinutes(6)));
        try (Admin admin = admin()) {
            await("three live brokers", Duration.ofSeconds(90), () -> {
                try {
                    return admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() == 3 ? true : null;
                } catch (Exception e) {
                    return null;
                }
            });
        }
    }

    // ---------------------------------------------------------------- scenarios

    @Test
    @Order(1)
    void killingTheLeaderLosesNoAcknowledgedRecordAndTheKilledBrokerCatchesUp() throws Exception {
        String topic = "kill-leader";
        TopicPartitionInfo initial = createTopic(topic);
        int leaderId = initial.leader().id();
        LibertyServer leader = broker(leaderId);
        try (Workload load = new Workload(topic)) {
            load.awaitAcks(500);
            int ackedBefore = load.acked.size();
            long killedAt = System.nanoTime();
            leader.kill();

            TopicPartitionInfo after = awaitLeaderOtherThan(topic, leaderId);
            long electedMs = msSince(killedAt);
            load.awaitAcksAfter(killedAt, ackedBefore + 100);
            System.out.printf("Failover (kill -9): broker %d killed; broker %d elected leader after %d ms (session timeout"
                            + " %d ms); acknowledged writes resumed within %d ms%n", leaderId, after.leader().id(), electedMs,
                    SESSION_TIMEOUT_MS, TimeUnit.NANOSECONDS.toMillis(load.lastAckNanos.get() - killedAt));
            assertTrue(electedMs < 30_000, "new leader after " + electedMs + " ms");
            assertTrue(after.isr().stream().noneMatch(n -> n.id() == leaderId), "killed broker left the ISR: " + after.isr());

            long restartAt = System.nanoTime();
            leader.startNoWait();
            leader.awaitReady(Duration.ofMinutes(6));
            awaitInIsr(topic, leaderId);
            System.out.printf("Broker %d restarted and rejoined the ISR after %d ms%n", leaderId, msSince(restartAt));
            load.awaitAcks(100);
            load.stopAndVerify();
        }
    }

    @Test
    @Order(2)
    void aLeaderPausedUntilItsSessionExpiresNeitherAcceptsNorExposesWritesAsAStaleLeader() throws Exception {
        String topic = "paused-leader";
        TopicPartitionInfo initial = createTopic(topic);
        int leaderId = initial.leader().id();
        LibertyServer leader = broker(leaderId);
        try (Workload load = new Workload(topic)) {
            load.awaitAcks(300);
            int ackedBefore = load.acked.size();
            long pausedAt = System.nanoTime();
            leader.pause();

            TopicPartitionInfo after = awaitLeaderOtherThan(topic, leaderId);
            long electedMs = msSince(pausedAt);
            load.awaitAcksAfter(pausedAt, ackedBefore + 100);
            long resumedMs = TimeUnit.NANOSECONDS.toMillis(load.lastAckNanos.get() - pausedAt);
            long contAt = System.nanoTime();
            leader.resume();
            awaitInIsr(topic, leaderId);
            System.out.printf("Failover (SIGSTOP): broker %d paused; broker %d elected leader after %d ms; acknowledged"
                            + " writes resumed within %d ms; after SIGCONT broker %d rejoined the ISR as a follower in %d ms%n",
                    leaderId, after.leader().id(), electedMs, resumedMs, leaderId, msSince(contAt));
            awaitLogged(leader, "accept no writes until the session is back",
                    "the paused leader fencing itself when it found its session gone");
            // Its caches may bring it back as a follower before the re-read has finished.
            awaitLogged(leader, "ZooKeeper session back; partition states re-read",
                    "the paused leader re-reading the partition states before acting again");
            TopicPartitionInfo now = describe(topic);
            assertNotEquals(leaderId, now.leader().id(), "the newer leader stays; the old one follows");
            load.awaitAcks(100);
            load.stopAndVerify();
        }
    }

    @Test
    @Order(3)
    void aRollingRestartWithControlledShutdownLosesNothingAndRestoresThePreferredLeader() throws Exception {
        String topic = "rolling-restart";
        int preferred = createTopic(topic).replicas().get(0).id();
        try (Workload load = new Workload(topic)) {
            load.awaitAcks(300);
            for (int id = 1; id <= 3; id++) {
                LibertyServer b = broker(id);
                int leaderBefore = describe(topic).leader().id();
                long stopAt = System.nanoTime();
                b.stop();
                long stoppedMs = msSince(stopAt);
                TopicPartitionInfo after = awaitLeaderOtherThan(topic, id);
                // The last change to the partition's state (its leader moved, or the broker left the ISR) came
                // before the broker's registration went: ZooKeeper's zxids order the two. Without a controlled
                // shutdown the controller would only react to the registration disappearing.
                long stateChanged = zkStat("/brokers/topics/" + topic + "/partitions/0/state").getMzxid();
                long deregistered = zkStat("/brokers/ids").getPzxid();
                assertTrue(stateChanged < deregistered, "broker " + id + " handed over (state zxid 0x"
                        + Long.toHexString(stateChanged) + ") before it deregistered (0x" + Long.toHexString(deregistered) + ")");
                int stopped = id;
                after = await("broker " + id + " out of the ISR", Duration.ofSeconds(30), () -> {
                    TopicPartitionInfo info = describeOrNull(topic);
                    return info != null && info.isr().stream().noneMatch(n -> n.id() == stopped) ? info : null;
                });
                System.out.printf("Rolling restart: broker %d (leader before: %d) stopped in %d ms; leader now %d, ISR %s;"
                                + " longest pause between acknowledgements so far %d ms%n", id, leaderBefore, stoppedMs,
                        after.leader().id(), ids(after.isr()), load.maxAckGapMs());
                int ackedNow = load.acked.size();
                load.awaitAcks(50);
                assertTrue(load.acked.size() > ackedNow, "writes go on with broker " + id + " down");
                long restartAt = System.nanoTime();
                b.startNoWait();
                b.awaitReady(Duration.ofMinutes(6));
                int restarted = id;
                awaitInIsr(topic, restarted);
                System.out.printf("Rolling restart: broker %d back in the ISR after %d ms%n", id, msSince(restartAt));
                assertNull(load.sendErrors.peek(), () -> "a send failed: " + load.sendErrors.peek());
            }
            long waitAt = System.nanoTime();
            TopicPartitionInfo balanced = await("broker " + preferred + ", the preferred replica, leading again",
                    Duration.ofSeconds(60), () -> {
                        TopicPartitionInfo info = describeOrNull(topic);
                        return info != null && info.leader() != null && info.leader().id() == preferred ? info : null;
                    });
            System.out.printf("Preferred leader restored %d ms after the last restart (leader.imbalance.check.interval.seconds=5);"
                    + " longest pause between acknowledgements %d ms%n", msSince(waitAt), load.maxAckGapMs());
            assertEquals(3, balanced.isr().size());
            load.awaitAcks(100);
            load.stopAndVerify();
        }
    }

    @Test
    @Order(4)
    void killingTheControllerHandsControlToAnotherBrokerAndALaterFailoverStillWorks() throws Exception {
        String topic = "kill-controller";
        TopicPartitionInfo initial = createTopic(topic);
        int controllerId = await("a controller", Duration.ofSeconds(30), () -> controller(-1));
        try (Workload load = new Workload(topic)) {
            load.awaitAcks(300);
            int ackedBefore = load.acked.size();
            long killedAt = System.nanoTime();
            broker(controllerId).kill();
            int successor = await("another controller", Duration.ofSeconds(60), () -> controller(controllerId));
            System.out.printf("Controller failover: broker %d (controller; leader was %d) killed; broker %d controller"
                    + " after %d ms%n", controllerId, initial.leader().id(), successor, msSince(killedAt));
            assertNotEquals(controllerId, successor);
            if (initial.leader().id() == controllerId) {
                TopicPartitionInfo after = awaitLeaderOtherThan(topic, controllerId);
                System.out.printf("Controller failover: broker %d elected leader after %d ms%n", after.leader().id(),
                        msSince(killedAt));
            }
            load.awaitAcksAfter(killedAt, ackedBefore + 100);

            // Back to three, then a failover decided by the new controller.
            broker(controllerId).startNoWait();
            broker(controllerId).awaitReady(Duration.ofMinutes(6));
            awaitInIsr(topic, controllerId);
            int leaderId = describe(topic).leader().id();
            int ackedNow = load.acked.size();
            long leaderKilledAt = System.nanoTime();
            broker(leaderId).kill();
            TopicPartitionInfo after = awaitLeaderOtherThan(topic, leaderId);
            long electedMs = msSince(leaderKilledAt);
            load.awaitAcksAfter(leaderKilledAt, ackedNow + 100);
            System.out.printf("Later failover: leader %d killed; broker %d elected after %d ms (controller now %s);"
                            + " acknowledged writes resumed within %d ms%n", leaderId, after.leader().id(), electedMs,
                    controller(leaderId), TimeUnit.NANOSECONDS.toMillis(load.lastAckNanos.get() - leaderKilledAt));
            assertTrue(electedMs < 30_000, "new leader after " + electedMs + " ms");
            load.stopAndVerify();
        }
    }

    @Test
    @Order(5)
    void withTwoBrokersDownWritesFailWithNotEnoughReplicasReadsGoOnAndOneBrokerBackResumesWrites() throws Exception {
        String topic = "two-down";
        TopicPartitionInfo initial = createTopic(topic);
        int leaderId = initial.leader().id();
        List<Integer> followers = initial.replicas().stream().map(Node::id).filter(id -> id != leaderId).toList();
        try (Workload load = new Workload(topic)) {
            load.awaitAcks(300);
            long downAt = System.nanoTime();
            followers.forEach(id -> broker(id).kill());
            await("the ISR down to the leader", Duration.ofSeconds(60), () -> {
                TopicPartitionInfo info = describeOrNull(topic);
                return info != null && info.isr().size() == 1 ? true : null;
            });

            ExecutionException refused = assertThrows(ExecutionException.class, () -> probeProduce(topic));
            assertInstanceOf(NotEnoughReplicasException.class, refused.getCause(), refused.toString());
            int ackedDuringOutage = load.acked.size();
            List<ConsumerRecord<String, String>> readable = readAll(topic);
            assertTrue(readable.size() >= ackedDuringOutage, "every acknowledged record is still readable: "
                    + readable.size() + " < " + ackedDuringOutage);
            long consumedBefore = load.consumed.get();
            System.out.printf("Two brokers down: produce refused with %s; %d records readable; consumer at %d%n",
                    refused.getCause().getClass().getSimpleName(), readable.size(), consumedBefore);

            LibertyServer back = broker(followers.get(0));
            back.startNoWait();
            back.awaitReady(Duration.ofMinutes(6));
            load.awaitAcks(100);
            System.out.printf("Two brokers down: writes resumed %d ms after the failure, with broker %d back%n",
                    msSince(downAt), followers.get(0));
            load.stopAndVerify();
        }
    }

    // ---------------------------------------------------------------- cluster helpers

    /** Waits for a line in the broker's messages.log; on timeout the failure shows its ZooKeeper-related lines. */
    private static void awaitLogged(LibertyServer b, String text, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String messages = "";
        while (System.nanoTime() < deadline) {
            try {
                messages = Files.readString(b.messagesLog());
            } catch (IOException e) {
                messages = "";
            }
            if (messages.contains(text)) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        String relevant = messages.lines().filter(l -> l.contains("ZooKeeper") || l.contains("State change")
                || l.contains("Broker ") || l.contains("Session")).collect(Collectors.joining("\n"));
        fail("Timed out waiting for " + what + " (\"" + text + "\") in " + b.messagesLog() + ":\n" + relevant);
    }

    private org.apache.zookeeper.data.Stat zkStat(String path) throws Exception {
        try (org.apache.curator.framework.CuratorFramework zk = org.apache.curator.framework.CuratorFrameworkFactory
                .newClient(zooKeeper.connectString(), 10_000, 10_000, new org.apache.curator.retry.RetryOneTime(500))) {
            zk.start();
            return zk.checkExists().forPath(path);
        }
    }

    private LibertyServer broker(int id) {
        return brokers.get(id - 1);
    }

    private String bootstrap() {
        return brokers.stream().filter(b -> b.isAlive() && !b.isPaused()).map(LibertyServer::kafkaBootstrap)
                .collect(Collectors.joining(","));
    }

    private Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        return Admin.create(p);
    }

    /** Creates a one-partition RF=3 topic and waits for a full ISR. */
    private TopicPartitionInfo createTopic(String topic) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        TopicPartitionInfo info = await("a leader with all three replicas of " + topic + " in sync", Duration.ofSeconds(60),
                () -> {
                    TopicPartitionInfo i = describeOrNull(topic);
                    return i != null && i.leader() != null && i.isr().size() == 3 ? i : null;
                });
        assertEquals(3, info.replicas().size());
        return info;
    }

    private TopicPartitionInfo describe(String topic) throws Exception {
        try (Admin admin = admin()) {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(20, TimeUnit.SECONDS).get(topic);
            return d.partitions().get(0);
        }
    }

    private TopicPartitionInfo describeOrNull(String topic) {
        try {
            return describe(topic);
        } catch (Exception e) {
            return null;
        }
    }

    private TopicPartitionInfo awaitLeaderOtherThan(String topic, int oldLeader) {
        return await("a leader of " + topic + " other than broker " + oldLeader, Duration.ofSeconds(60), () -> {
            TopicPartitionInfo info = describeOrNull(topic);
            return info != null && info.leader() != null && info.leader().id() != oldLeader ? info : null;
        });
    }

    private void awaitInIsr(String topic, int brokerId) {
        await("broker " + brokerId + " in the ISR of " + topic, Duration.ofSeconds(120), () -> {
            TopicPartitionInfo info = describeOrNull(topic);
            return info != null && info.isr().stream().anyMatch(n -> n.id() == brokerId) ? true : null;
        });
    }

    /** The broker whose readiness says it is the controller, other than {@code not}; null if none. */
    private Integer controller(int not) {
        for (int id = 1; id <= brokers.size(); id++) {
            LibertyServer b = broker(id);
            if (id == not || !b.isAlive() || b.isPaused()) {
                continue;
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(b.uri("/health/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (CONTROLLER.matcher(r.body()).find()) {
                    return id;
                }
            } catch (IOException e) {
                // Not answering: not the controller we are looking for.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return null;
    }

    /** One record with acks=all and no retries, answered (or refused) by whoever leads. */
    private void probeProduce(String topic) throws Exception {
        Map<String, Object> pp = new HashMap<>();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.RETRIES_CONFIG, 0);
        pp.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
        try (KafkaProducer<String, String> probe = new KafkaProducer<>(pp)) {
            probe.send(new ProducerRecord<>(topic, 0, null, "probe")).get(30, TimeUnit.SECONDS);
        }
    }

    private List<ConsumerRecord<String, String>> readAll(String topic) {
        Properties p = consumerProperties();
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            TopicPartition tp = new TopicPartition(topic, 0);
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

    private Properties consumerProperties() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 2_000);
        return p;
    }

    private static long msSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private static List<Integer> ids(List<Node> nodes) {
        return nodes.stream().map(Node::id).toList();
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

    // ---------------------------------------------------------------- the workload

    /**
     * An idempotent {@code acks=all} producer sending sequence numbers 0, 1, 2, ... to partition 0 as
     * fast as every 2 ms, and a consumer reading the partition from the start, both on threads of
     * their own until {@link #stopAndVerify()} or {@link #close()}.
     */
    private final class Workload implements AutoCloseable {

        final String topic;
        final NavigableSet<Long> acked = new ConcurrentSkipListSet<>();
        final Map<Long, Long> offsetOf = new ConcurrentHashMap<>();
        final Queue<Exception> sendErrors = new ConcurrentLinkedQueue<>();
        final AtomicLong lastAckNanos = new AtomicLong(System.nanoTime());
        final AtomicLong maxAckGapNanos = new AtomicLong();
        final AtomicLong consumed = new AtomicLong();
        final AtomicReference<String> consumerProblem = new AtomicReference<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final KafkaProducer<String, String> producer;
        private final Thread producerThread;
        private final Thread consumerThread;
        private boolean stopped;

        Workload(String topic) {
            this.topic = topic;
            Map<String, Object> pp = new HashMap<>();
            pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
            pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
            pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
            pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            pp.put(ProducerConfig.ACKS_CONFIG, "all");
            pp.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            pp.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000);
            pp.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 100);
            pp.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, 2_000);
            producer = new KafkaProducer<>(pp);
            producerThread = new Thread(this::produce, "failover-producer-" + topic);
            consumerThread = new Thread(this::consume, "failover-consumer-" + topic);
            producerThread.start();
            consumerThread.start();
        }

        private void produce() {
            for (long seq = 0; running.get(); seq++) {
                long n = seq;
                producer.send(new ProducerRecord<>(topic, 0, null, Long.toString(n)), (md, e) -> {
                    if (e != null) {
                        sendErrors.add(e);
                    } else {
                        acked.add(n);
                        offsetOf.put(n, md.offset());
                        long now = System.nanoTime();
                        long previous = lastAckNanos.getAndSet(now);
                        maxAckGapNanos.accumulateAndGet(now - previous, Math::max);
                    }
                });
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void consume() {
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProperties())) {
                TopicPartition tp = new TopicPartition(topic, 0);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                long last = -1;
                long expectedOffset = 0;
                while (running.get()) {
                    try {
                        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                            long seq = Long.parseLong(r.value());
                            if (r.offset() != expectedOffset || seq <= last) {
                                consumerProblem.compareAndSet(null, "record " + seq + " at offset " + r.offset()
                                        + " after " + last + " (expected offset " + expectedOffset + ")");
                            }
                            last = seq;
                            expectedOffset = r.offset() + 1;
                            consumed.incrementAndGet();
                        }
                    } catch (RetriableException e) {
                        // Leadership moving: the consumer finds the new leader.
                    }
                }
            } catch (RuntimeException e) {
                consumerProblem.compareAndSet(null, "consumer failed: " + e);
            }
        }

        long maxAckGapMs() {
            return TimeUnit.NANOSECONDS.toMillis(maxAckGapNanos.get());
        }

        void awaitAcks(int more) {
            int target = acked.size() + more;
            await(more + " more acknowledgements on " + topic, Duration.ofSeconds(120),
                    () -> acked.size() >= target ? true : null);
        }

        void awaitAcksAfter(long sinceNanos, int total) {
            await("acknowledgements on " + topic + " after the fault", Duration.ofSeconds(90),
                    () -> lastAckNanos.get() > sinceNanos && acked.size() >= total ? true : null);
        }

        /** Stops both sides, then checks the whole log against what was acknowledged and what was consumed. */
        void stopAndVerify() throws Exception {
            stop();
            assertNull(sendErrors.peek(), () -> "a send failed: " + sendErrors.peek());
            assertNull(consumerProblem.get(), () -> "the consumer saw " + consumerProblem.get());
            assertEquals(0L, acked.first());
            assertEquals(acked.size() - 1, acked.last(), "no gap in the acknowledged sequence");

            List<ConsumerRecord<String, String>> log = readAll(topic);
            Set<Long> seen = ConcurrentHashMap.newKeySet();
            long previousSeq = -1;
            for (int i = 0; i < log.size(); i++) {
                ConsumerRecord<String, String> r = log.get(i);
                assertEquals(i, r.offset(), "offsets are dense");
                long seq = Long.parseLong(r.value());
                assertTrue(seq > previousSeq, "record " + seq + " at offset " + r.offset() + " after " + previousSeq);
                previousSeq = seq;
                seen.add(seq);
                Long ackedOffset = offsetOf.get(seq);
                if (ackedOffset != null) {
                    assertEquals(ackedOffset, r.offset(), "record " + seq + " is where its acknowledgement said");
                }
            }
            List<Long> missing = acked.stream().filter(s -> !seen.contains(s)).limit(10).toList();
            assertTrue(missing.isEmpty(), "acknowledged records missing from the log: " + missing);
            assertTrue(consumed.get() > 0, "the consumer read while the producer wrote");
            System.out.printf("%s: verified %d acknowledged records in a log of %d; the live consumer read %d;"
                    + " longest pause between acknowledgements %d ms%n", topic, acked.size(), log.size(), consumed.get(),
                    maxAckGapMs());
        }

        private void stop() throws InterruptedException {
            if (stopped) {
                return;
            }
            stopped = true;
            running.set(false);
            producerThread.join(10_000);
            producer.flush();
            producer.close(Duration.ofSeconds(30));
            consumerThread.join(30_000);
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }
}
