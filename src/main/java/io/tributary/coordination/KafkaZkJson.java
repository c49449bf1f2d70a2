package io.tributary.coordination;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.Endpoint;
import io.tributary.metadata.PartitionState;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.JsonWriter;
import jakarta.json.spi.JsonProvider;
import org.apache.kafka.common.Uuid;

/**
 * Encodes and decodes the JSON that ZooKeeper-era Kafka stores in its znodes ({@code ZkData}
 * in Kafka 2.x/3.x), field for field, so Kafka's own tools can read what we write and we can
 * read what they write. Unknown fields are ignored on read, as Kafka does.
 *
 * <p>Formats:
 * <ul>
 * <li>{@code /cluster/id}: {@code {"version":"1","id":"<base64 uuid>"}} (version is a string there)</li>
 * <li>{@code /brokers/ids/<id>}, version 5: {@code {"version":5,"host":..,"port":..,"jmx_port":-1,
 *     "timestamp":"<ms>","endpoints":["NAME://host:port"],"listener_security_protocol_map":{"NAME":"PROTO"},
 *     "rack":..|null,"features":{}}} plus a {@code "tributary"} object holding {@link BrokerInfo#extra()};
 *     Kafka's {@code port} is the PLAINTEXT listener's port, or -1 without one</li>
 * <li>{@code /brokers/topics/<t>}, version 3: {@code {"version":3,"partitions":{"0":[1,2]},"topic_id":"..",
 *     "adding_replicas":{},"removing_replicas":{}}}</li>
 * <li>{@code /config/topics/<t>}: {@code {"version":1,"config":{"k":"v"}}}</li>
 * <li>{@code .../partitions/<p>/state}: {@code {"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2]}}</li>
 * </ul>
 *
 * <p>Thread-safe: the JSON provider is looked up once per instance, because the lookup goes
 * through the service loader and is far slower than the parsing itself.
 */
final class KafkaZkJson {

    static final int BROKER_VERSION = 5;
    static final int TOPIC_VERSION = 3;
    static final int CONFIG_VERSION = 1;
    static final int PARTITION_STATE_VERSION = 1;
    static final String EXTRA_FIELD = "tributary";

    /** The topic znode's contents: Kafka keeps configs in a separate znode. */
    record TopicZNode(Optional<Uuid> topicId, Map<Integer, List<Integer>> assignment) {
    }

    private final JsonProvider json;

    KafkaZkJson() {
        this(JsonProvider.provider());
    }

    KafkaZkJson(JsonProvider provider) {
        this.json = provider;
    }

    byte[] clusterId(String id) {
        return write(json.createObjectBuilder().add("version", "1").add("id", id).build());
    }

    String parseClusterId(byte[] data) {
        return read(data).getString("id");
    }

    /** The {@code brokerid} of Kafka's {@code /controller} znode ({@code {"version":1,"brokerid":2,...}}). */
    int parseControllerId(byte[] data) {
        JsonObject o = read(data);
        if (!(o.get("brokerid") instanceof JsonNumber n)) {
            throw new JsonException("/controller has no numeric brokerid");
        }
        return n.intValueExact();
    }

    byte[] broker(BrokerInfo broker, long timestampMs) {
        JsonArrayBuilder endpoints = json.createArrayBuilder();
        JsonObjectBuilder protocols = json.createObjectBuilder();
        int plaintextPort = -1;
        for (Endpoint e : broker.endpoints()) {
            endpoints.add(e.connectionString());
            protocols.add(e.listenerName(), e.securityProtocol());
            if (plaintextPort < 0 && e.securityProtocol().equals("PLAINTEXT")) {
                plaintextPort = e.port();
            }
        }
        JsonObjectBuilder extra = json.createObjectBuilder();
        broker.extra().forEach(extra::add);
        JsonObjectBuilder b = json.createObjectBuilder()
                .add("version", BROKER_VERSION)
                .add("host", broker.host())
                .add("port", plaintextPort)
                .add("jmx_port", -1)
                // Kafka writes the registration time as a string of epoch milliseconds.
                .add("timestamp", Long.toString(timestampMs))
                .add("endpoints", endpoints)
                .add("listener_security_protocol_map", protocols);
        if (broker.rack().isPresent()) {
            b.add("rack", broker.rack().get());
        } else {
            b.addNull("rack");
        }
        b.add("features", json.createObjectBuilder());
        b.add(EXTRA_FIELD, extra);
        return write(b.build());
    }

    BrokerInfo parseBroker(int id, byte[] data) {
        JsonObject o = read(data);
        Map<String, String> protocolMap = new LinkedHashMap<>();
        JsonObject protocols = o.getJsonObject("listener_security_protocol_map");
        if (protocols != null) {
            protocols.forEach((k, v) -> protocolMap.put(k, ((JsonString) v).getString()));
        }
        List<Endpoint> endpoints = new ArrayList<>();
        JsonArray list = o.getJsonArray("endpoints");
        if (list != null) {
            for (JsonValue v : list) {
                endpoints.add(parseEndpoint(((JsonString) v).getString(), protocolMap));
            }
        }
        String host = o.containsKey("host") && !o.isNull("host") ? o.getString("host") : "";
        Optional<String> rack = o.containsKey("rack") && !o.isNull("rack") ? Optional.of(o.getString("rack")) : Optional.empty();
        Map<String, String> extra = new TreeMap<>();
        JsonObject extraJson = o.containsKey(EXTRA_FIELD) && o.get(EXTRA_FIELD).getValueType() == JsonValue.ValueType.OBJECT
                ? o.getJsonObject(EXTRA_FIELD) : null;
        if (extraJson != null) {
            extraJson.forEach((k, v) -> {
                if (v instanceof JsonString s) {
                    extra.put(k, s.getString());
                }
            });
        }
        return new BrokerInfo(id, host, endpoints, rack, extra);
    }

    // "NAME://host:port" or "NAME://[v6::addr]:port"; a listener missing from the protocol map is
    // taken to be named after its protocol, which is how Kafka defaults listener names.
    static Endpoint parseEndpoint(String s, Map<String, String> protocolMap) {
        int sep = s.indexOf("://");
        int colon = s.lastIndexOf(':');
        if (sep <= 0 || colon <= sep + 2) {
            throw new JsonException("Malformed endpoint: " + s);
        }
        String listener = s.substring(0, sep);
        String host = s.substring(sep + 3, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new JsonException("Malformed endpoint port: " + s, e);
        }
        return new Endpoint(listener, protocolMap.getOrDefault(listener, listener), host, port);
    }

    byte[] topic(Uuid topicId, Map<Integer, List<Integer>> assignment) {
        JsonObjectBuilder partitions = json.createObjectBuilder();
        new TreeMap<>(assignment).forEach((p, replicas) -> {
            JsonArrayBuilder r = json.createArrayBuilder();
            replicas.forEach(r::add);
            partitions.add(Integer.toString(p), r);
        });
        return write(json.createObjectBuilder()
                .add("version", TOPIC_VERSION)
                .add("partitions", partitions)
                .add("topic_id", topicId.toString())
                .add("adding_replicas", json.createObjectBuilder())
                .add("removing_replicas", json.createObjectBuilder())
                .build());
    }

    TopicZNode parseTopic(byte[] data) {
        JsonObject o = read(data);
        Map<Integer, List<Integer>> assignment = new TreeMap<>();
        JsonObject partitions = o.getJsonObject("partitions");
        if (partitions != null) {
            partitions.forEach((p, replicas) -> assignment.put(Integer.parseInt(p), ints(replicas.asJsonArray())));
        }
        // Topics created by Kafka before 2.8 carry no topic_id.
        Optional<Uuid> topicId = o.containsKey("topic_id") && !o.isNull("topic_id")
                ? Optional.of(Uuid.fromString(o.getString("topic_id"))) : Optional.empty();
        return new TopicZNode(topicId, assignment);
    }

    byte[] topicConfig(Map<String, String> configs) {
        JsonObjectBuilder config = json.createObjectBuilder();
        new TreeMap<>(configs).forEach(config::add);
        return write(json.createObjectBuilder().add("version", CONFIG_VERSION).add("config", config).build());
    }

    Map<String, String> parseTopicConfig(byte[] data) {
        if (data == null || data.length == 0) {
            return Map.of();
        }
        JsonObject config = read(data).getJsonObject("config");
        Map<String, String> result = new TreeMap<>();
        if (config != null) {
            config.forEach((k, v) -> result.put(k, v instanceof JsonString s ? s.getString() : v.toString()));
        }
        return result;
    }

    byte[] partitionState(PartitionState state) {
        JsonArrayBuilder isr = json.createArrayBuilder();
        state.isr().forEach(isr::add);
        return write(json.createObjectBuilder()
                .add("controller_epoch", state.controllerEpoch())
                .add("leader", state.leader())
                .add("version", PARTITION_STATE_VERSION)
                .add("leader_epoch", state.leaderEpoch())
                .add("isr", isr)
                .build());
    }

    PartitionState parsePartitionState(byte[] data, int zkVersion) {
        JsonObject o = read(data);
        return new PartitionState(o.getInt("leader"), o.getInt("leader_epoch"), ints(o.getJsonArray("isr")),
                o.getInt("controller_epoch"), zkVersion);
    }

    private static List<Integer> ints(JsonArray array) {
        List<Integer> result = new ArrayList<>(array.size());
        for (JsonValue v : array) {
            result.add(((JsonNumber) v).intValue());
        }
        return result;
    }

    private JsonObject read(byte[] data) {
        if (data == null) {
            throw new JsonException("znode has no data");
        }
        try (JsonReader reader = json.createReader(new ByteArrayInputStream(data))) {
            return reader.readObject();
        }
    }

    private byte[] write(JsonObject object) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonWriter writer = json.createWriter(out)) {
            writer.writeObject(object);
        }
        return out.toByteArray();
    }
}
