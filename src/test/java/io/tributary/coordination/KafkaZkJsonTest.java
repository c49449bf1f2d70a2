package io.tributary.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.Endpoint;
import io.tributary.metadata.PartitionState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

class KafkaZkJsonTest {

    private final KafkaZkJson json = new KafkaZkJson();

    @Test
    void readsABrokerRegistrationWrittenByKafka() {
        // As Kafka 3.x writes it (BrokerIdZNode version 5).
        String kafka = "{\"features\":{},\"listener_security_protocol_map\":{\"PLAINTEXT\":\"PLAINTEXT\",\"SSL\":\"SSL\"},"
                + "\"endpoints\":[\"PLAINTEXT://kafka-1:9092\",\"SSL://kafka-1:9093\"],\"jmx_port\":-1,\"port\":9092,"
                + "\"host\":\"kafka-1\",\"version\":5,\"timestamp\":\"1700000000000\",\"rack\":null}";
        BrokerInfo broker = json.parseBroker(1, kafka.getBytes(StandardCharsets.UTF_8));
        assertEquals(new BrokerInfo(1, "kafka-1", List.of(new Endpoint("PLAINTEXT", "PLAINTEXT", "kafka-1", 9092),
                new Endpoint("SSL", "SSL", "kafka-1", 9093)), Optional.empty(), Map.of()), broker);
    }

    @Test
    void brokerRegistrationRoundTripsIncludingIpv6AndExtras() {
        BrokerInfo broker = new BrokerInfo(7, "::1", List.of(new Endpoint("CLIENT", "SASL_SSL", "::1", 9094)),
                Optional.of("r1"), Map.of("http", "http://[::1]:9080"));
        byte[] data = json.broker(broker, 42);
        assertTrue(new String(data, StandardCharsets.UTF_8).contains("\"CLIENT://[::1]:9094\""));
        assertTrue(new String(data, StandardCharsets.UTF_8).contains("\"port\":-1"), "no PLAINTEXT listener");
        assertEquals(broker, json.parseBroker(7, data));
    }

    @Test
    void topicZnodeWithoutTopicIdFromOldKafkaIsReadable() {
        KafkaZkJson.TopicZNode topic = json.parseTopic("{\"version\":1,\"partitions\":{\"1\":[2,3],\"0\":[1,2]}}"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals(Optional.empty(), topic.topicId());
        assertEquals(Map.of(0, List.of(1, 2), 1, List.of(2, 3)), topic.assignment());
    }

    @Test
    void topicAndPartitionStateRoundTrip() {
        Uuid id = Uuid.randomUuid();
        KafkaZkJson.TopicZNode topic = json.parseTopic(json.topic(id, Map.of(0, List.of(3, 1))));
        assertEquals(Optional.of(id), topic.topicId());
        assertEquals(Map.of(0, List.of(3, 1)), topic.assignment());
        PartitionState state = new PartitionState(3, 7, List.of(3, 1), 2, 5);
        assertEquals(state, json.parsePartitionState(json.partitionState(state), 5));
        assertEquals(Map.of("a", "1"), json.parseTopicConfig(json.topicConfig(Map.of("a", "1"))));
    }

    @Test
    void pathsFollowKafkasLayoutAndParseBack() {
        assertEquals("/brokers/topics/t/partitions/3/state", ZkPaths.partitionState(new TopicPartition("t", 3)));
        assertEquals(Optional.of(new TopicPartition("t", 3)), ZkPaths.partitionStateOf("/brokers/topics/t/partitions/3/state"));
        assertEquals(Optional.of("t"), ZkPaths.topicOf("/brokers/topics/t"));
        assertEquals(Optional.empty(), ZkPaths.topicOf("/brokers/topics/t/partitions"));
        assertEquals(Optional.of("t"), ZkPaths.configTopicOf("/config/topics/t"));
        assertEquals(Optional.of(12), ZkPaths.brokerIdOf("/brokers/ids/12"));
        assertEquals(Optional.empty(), ZkPaths.brokerIdOf("/brokers/ids/x"));
    }

    @Test
    void connectStringChrootBecomesANamespace() {
        assertEquals(new CuratorClients.ConnectString("h1:2181,h2:2181", Optional.of("tributary/prod")),
                CuratorClients.ConnectString.parse("h1:2181,h2:2181/tributary/prod/"));
        assertEquals(new CuratorClients.ConnectString("h1:2181", Optional.empty()),
                CuratorClients.ConnectString.parse("h1:2181/"));
    }
}
