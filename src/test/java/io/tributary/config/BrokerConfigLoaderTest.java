package io.tributary.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BrokerConfigLoaderTest {

    private static BrokerConfig load(Map<String, String> props) {
        return new BrokerConfigLoader(name -> Optional.ofNullable(props.get(name))).load();
    }

    @Test
    void defaultsMatchKafkasWithAnEmbeddedZooKeeper() {
        BrokerConfig c = load(Map.of("log.dirs", "/data/a"));
        assertEquals(0, c.brokerId());
        assertEquals(1, c.topics().numPartitions());
        assertEquals(1, c.topics().defaultReplicationFactor());
        assertTrue(c.topics().autoCreateTopics());
        assertTrue(c.zooKeeper().embedded());
        assertEquals(Path.of("/data/a/__embedded_zookeeper"), c.zooKeeper().embeddedDataDir());
        assertTrue(c.storage().topicDefaults().isEmpty(), "engine defaults apply when nothing is set");
    }

    @Test
    void controlledShutdownAndLeaderRebalancingDefaultToKafkasAndCanBeChanged() {
        ReplicationConfig d = load(Map.of("log.dirs", "/data/a")).replication();
        assertTrue(d.controlledShutdown());
        assertEquals(3, d.controlledShutdownMaxRetries());
        assertEquals(5_000, d.controlledShutdownRetryBackoffMs());
        assertTrue(d.autoLeaderRebalance());
        assertEquals(300, d.leaderImbalanceCheckIntervalSeconds());
        assertEquals(10, d.leaderImbalancePerBrokerPercentage());
        assertEquals(d, ReplicationConfig.defaults());

        ReplicationConfig c = load(Map.of("controlled.shutdown.enable", "false", "controlled.shutdown.max.retries", "5",
                "controlled.shutdown.retry.backoff.ms", "200", "auto.leader.rebalance.enable", "false",
                "leader.imbalance.check.interval.seconds", "7", "leader.imbalance.per.broker.percentage", "25")).replication();
        assertFalse(c.controlledShutdown());
        assertEquals(5, c.controlledShutdownMaxRetries());
        assertEquals(200, c.controlledShutdownRetryBackoffMs());
        assertFalse(c.autoLeaderRebalance());
        assertEquals(7, c.leaderImbalanceCheckIntervalSeconds());
        assertEquals(25, c.leaderImbalancePerBrokerPercentage());
        assertEquals("leader.imbalance.per.broker.percentage", assertThrows(InvalidBrokerConfigException.class,
                () -> load(Map.of("leader.imbalance.per.broker.percentage", "101"))).property());
        assertEquals("controlled.shutdown.max.retries", assertThrows(InvalidBrokerConfigException.class,
                () -> load(Map.of("controlled.shutdown.max.retries", "0"))).property());
    }

    @Test
    void brokerLogSettingsBecomeTopicDefaultsUnderTopicNames() {
        Map<String, String> props = new HashMap<>();
        props.put("log.dirs", "/a, /b");
        props.put("log.segment.bytes", "1048576");
        props.put("message.max.bytes", "2000");
        props.put("log.flush.interval.messages", "1");
        props.put("log.roll.hours", "2");
        props.put("log.retention.minutes", "5");
        props.put("compression.type", "zstd");
        BrokerConfig c = load(props);
        assertEquals(List.of(Path.of("/a"), Path.of("/b")), c.storage().logDirs());
        Map<String, String> t = c.storage().topicDefaults();
        assertEquals("1048576", t.get("segment.bytes"));
        assertEquals("2000", t.get("max.message.bytes"));
        assertEquals("1", t.get("flush.messages"));
        assertEquals(Long.toString(2 * 3_600_000L), t.get("segment.ms"));
        assertEquals(Long.toString(5 * 60_000L), t.get("retention.ms"));
        assertEquals("zstd", t.get("compression.type"));
    }

    @Test
    void theOffsetsTopicIsReplicatedThreeWaysAndCommitsWaitFiveSecondsByDefault() {
        BrokerConfig defaults = load(Map.of());
        assertEquals(3, defaults.groups().offsetsTopicReplicationFactor());
        assertEquals(5_000, defaults.groups().offsetsCommitTimeoutMs());
        BrokerConfig set = load(Map.of("offsets.topic.replication.factor", "2", "offsets.commit.timeout.ms", "100"));
        assertEquals(2, set.groups().offsetsTopicReplicationFactor());
        assertEquals(100, set.groups().offsetsCommitTimeoutMs());
        InvalidBrokerConfigException e = assertThrows(InvalidBrokerConfigException.class,
                () -> load(Map.of("offsets.topic.replication.factor", "0")));
        assertEquals("offsets.topic.replication.factor", e.property());
    }

    @Test
    void millisecondsWinOverCoarserUnits() {
        BrokerConfig c = load(Map.of("log.retention.ms", "1000", "log.retention.hours", "1", "log.roll.ms", "50",
                "log.roll.hours", "1"));
        assertEquals("1000", c.storage().topicDefaults().get("retention.ms"));
        assertEquals("50", c.storage().topicDefaults().get("segment.ms"));
    }

    @Test
    void badValuesNameTheProperty() {
        InvalidBrokerConfigException e = assertThrows(InvalidBrokerConfigException.class,
                () -> load(Map.of("num.partitions", "many")));
        assertEquals("num.partitions", e.property());
        assertTrue(e.getMessage().contains("'many'"));
        assertEquals("num.partitions", assertThrows(InvalidBrokerConfigException.class,
                () -> load(Map.of("num.partitions", "0"))).property());
        assertEquals("auto.create.topics.enable", assertThrows(InvalidBrokerConfigException.class,
                () -> load(Map.of("auto.create.topics.enable", "yes"))).property());
        assertEquals("compression.type", assertThrows(InvalidBrokerConfigException.class,
                () -> load(Map.of("compression.type", "brotli"))).property());
        assertEquals("log.dirs", assertThrows(InvalidBrokerConfigException.class,
                () -> load(Map.of("log.dirs", " , "))).property());
        assertEquals("log.segment.bytes", assertThrows(InvalidBrokerConfigException.class,
                () -> load(Map.of("log.segment.bytes", "99999999999"))).property());
    }

    @Test
    void externalZooKeeperIsUsedWhenConnectIsSet() {
        BrokerConfig c = load(Map.of("zookeeper.connect", "zk1:2181,zk2:2181/tributary"));
        assertFalse(c.zooKeeper().embedded());
        assertEquals("zk1:2181,zk2:2181/tributary", c.zooKeeper().connect().orElseThrow());
    }

    @Test
    void kafkaListenerDefaultsToPort9092AdvertisedUnderTheAdvertisedHostName() {
        KafkaListenerConfig k = load(Map.of("advertised.host.name", "broker-1.example")).kafka();
        assertEquals(List.of(new KafkaListenerConfig.Listener("PLAINTEXT", "", 9092)), k.listeners());
        assertEquals(List.of(new KafkaListenerConfig.Listener("PLAINTEXT", "broker-1.example", 9092)),
                k.advertisedListeners());
        assertEquals(104_857_600, k.socketRequestMaxBytes());
        assertEquals(3, k.numNetworkThreads());
        assertTrue(k.enabled());
    }

    @Test
    void listenersAndAdvertisedListenersUseKafkaSyntax() {
        KafkaListenerConfig k = load(Map.of("listeners", "plaintext://[::1]:19092",
                "advertised.listeners", "PLAINTEXT://kafka.example:29092", "socket.request.max.bytes", "2048")).kafka();
        assertEquals(new KafkaListenerConfig.Listener("PLAINTEXT", "::1", 19092), k.listeners().get(0));
        assertEquals(new KafkaListenerConfig.Listener("PLAINTEXT", "kafka.example", 29092), k.advertisedListeners().get(0));
        assertEquals(2048, k.socketRequestMaxBytes());
        KafkaListenerConfig specific = load(Map.of("listeners", "PLAINTEXT://127.0.0.1:9093")).kafka();
        assertEquals("127.0.0.1", specific.advertisedListeners().get(0).host());
    }

    @Test
    void anEmptyListenersSettingTurnsTheKafkaProtocolOff() {
        assertFalse(load(Map.of("listeners", "")).kafka().enabled());
    }

    @Test
    void badListenersStopStartUpNamingTheProperty() {
        for (String bad : List.of("9092", "PLAINTEXT://:x", "PLAINTEXT://:0", "SSL://:9093",
                "PLAINTEXT://:9092,PLAINTEXT://:9093")) {
            InvalidBrokerConfigException e = assertThrows(InvalidBrokerConfigException.class,
                    () -> load(Map.of("listeners", bad)), bad);
            assertTrue(e.getMessage().contains("listeners"), e.getMessage());
        }
        assertThrows(InvalidBrokerConfigException.class,
                () -> load(Map.of("advertised.listeners", "PLAINTEXT://0.0.0.0:9092")));
        assertThrows(InvalidBrokerConfigException.class,
                () -> load(Map.of("advertised.listeners", "OTHER://h:9092")));
    }
}
