package io.tributary.api.rest;

import io.tributary.app.Broker;
import io.tributary.broker.Partition;
import io.tributary.broker.RecordService.ProduceResult;
import io.tributary.broker.TopicService;
import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.TopicMetadata;
import io.tributary.metadata.Topics;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.core.UriInfo;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The v3 API: cluster, brokers, topics, partitions, topic configs, and record production, shaped
 * like Confluent's REST Proxy v3 so its clients work. Thin: each method maps JSON to a broker
 * call and the result to a DTO.
 */
@Path("/v3/clusters")
@Produces(MediaType.APPLICATION_JSON)
@RequestScoped
public class ClustersResource {

    private final Broker broker;

    @Context
    UriInfo uri;

    /** For the container's client proxy only. */
    protected ClustersResource() {
        this(null);
    }

    @Inject
    public ClustersResource(Broker broker) {
        this.broker = broker;
    }

    @GET
    public V3Dtos.ListOf<V3Dtos.Cluster> clusters() {
        broker.metadata();
        return new V3Dtos.ListOf<>("KafkaClusterList", new V3Dtos.ListMetadata(url("v3/clusters"), null),
                List.of(cluster()));
    }

    @GET
    @Path("{cluster}")
    public V3Dtos.Cluster cluster(@PathParam("cluster") String clusterId) {
        checkCluster(clusterId);
        return cluster();
    }

    @GET
    @Path("{cluster}/brokers")
    public V3Dtos.ListOf<V3Dtos.Broker> brokers(@PathParam("cluster") String clusterId) {
        checkCluster(clusterId);
        List<V3Dtos.Broker> out = new ArrayList<>();
        for (BrokerInfo b : broker.metadata().liveBrokers()) {
            out.add(brokerDto(b));
        }
        return new V3Dtos.ListOf<>("KafkaBrokerList", new V3Dtos.ListMetadata(clusterUrl("brokers"), null), out);
    }

    @GET
    @Path("{cluster}/brokers/{id}")
    public V3Dtos.Broker broker(@PathParam("cluster") String clusterId, @PathParam("id") int id) {
        checkCluster(clusterId);
        return broker.metadata().broker(id).map(this::brokerDto)
                .orElseThrow(() -> new RestException(404, "Broker " + id + " is not registered in the cluster."));
    }

    @GET
    @Path("{cluster}/topics")
    public V3Dtos.ListOf<V3Dtos.Topic> topics(@PathParam("cluster") String clusterId) {
        checkCluster(clusterId);
        List<V3Dtos.Topic> out = new ArrayList<>();
        for (TopicMetadata t : broker.topics().list()) {
            out.add(topicDto(t));
        }
        return new V3Dtos.ListOf<>("KafkaTopicList", new V3Dtos.ListMetadata(clusterUrl("topics"), null), out);
    }

    @POST
    @Path("{cluster}/topics")
    @Consumes({MediaType.APPLICATION_JSON, MediaType.WILDCARD})
    public Response createTopic(@PathParam("cluster") String clusterId, byte[] body) {
        checkCluster(clusterId);
        JsonObject o = JsonBodies.object(body);
        String name = JsonBodies.string(o, "topic_name")
                .orElseThrow(() -> RestException.unprocessable("Field 'topic_name' is required"));
        Optional<Integer> partitions = JsonBodies.int32(o, "partitions_count");
        Optional<Short> rf = JsonBodies.int32(o, "replication_factor").map(v -> {
            if (v < 1 || v > Short.MAX_VALUE) {
                throw RestException.unprocessable("Field 'replication_factor' must be from 1 to " + Short.MAX_VALUE);
            }
            return v.shortValue();
        });
        Map<String, String> configs = new HashMap<>();
        JsonValue cv = o.get("configs");
        if (cv != null && cv.getValueType() != JsonValue.ValueType.NULL) {
            if (!(cv instanceof JsonArray array)) {
                throw RestException.unprocessable("Field 'configs' must be an array of {\"name\": ..., \"value\": ...}");
            }
            for (JsonValue item : array) {
                if (!(item instanceof JsonObject c)) {
                    throw RestException.unprocessable("Each entry of 'configs' must be an object");
                }
                String key = JsonBodies.string(c, "name")
                        .orElseThrow(() -> RestException.unprocessable("A config entry has no 'name'"));
                configs.put(key, JsonBodies.string(c, "value")
                        .orElseThrow(() -> RestException.unprocessable("Config '" + key + "' has no 'value'")));
            }
        }
        TopicMetadata created = broker.topics().create(name, partitions, rf, configs);
        return Response.status(201).entity(topicDto(created)).build();
    }

    @GET
    @Path("{cluster}/topics/{topic}")
    public V3Dtos.Topic topic(@PathParam("cluster") String clusterId, @PathParam("topic") String topic) {
        checkCluster(clusterId);
        return topicDto(broker.topics().describeOrThrow(topic));
    }

    @DELETE
    @Path("{cluster}/topics/{topic}")
    public Response deleteTopic(@PathParam("cluster") String clusterId, @PathParam("topic") String topic) {
        checkCluster(clusterId);
        broker.topics().delete(topic);
        return Response.noContent().build();
    }

    /** {@code {"partitions_count": N}}: grows the topic to N partitions (never shrinks it). */
    @PATCH
    @Path("{cluster}/topics/{topic}")
    @Consumes({MediaType.APPLICATION_JSON, MediaType.WILDCARD})
    public V3Dtos.Topic updateTopic(@PathParam("cluster") String clusterId, @PathParam("topic") String topic,
                                    byte[] body) {
        checkCluster(clusterId);
        int count = JsonBodies.int32(JsonBodies.object(body), "partitions_count")
                .orElseThrow(() -> RestException.unprocessable("Field 'partitions_count' is required"));
        return topicDto(broker.topics().createPartitions(topic, count));
    }

    @GET
    @Path("{cluster}/topics/{topic}/partitions")
    public V3Dtos.ListOf<V3Dtos.Partition> partitions(@PathParam("cluster") String clusterId,
                                                      @PathParam("topic") String topic) {
        checkCluster(clusterId);
        TopicMetadata t = broker.topics().describeOrThrow(topic);
        List<V3Dtos.Partition> out = new ArrayList<>();
        for (int p : t.assignment().keySet()) {
            out.add(partitionDto(t, p));
        }
        return new V3Dtos.ListOf<>("KafkaPartitionList",
                new V3Dtos.ListMetadata(clusterUrl("topics/" + topic + "/partitions"), null), out);
    }

    @GET
    @Path("{cluster}/topics/{topic}/partitions/{partition}")
    public V3Dtos.Partition partition(@PathParam("cluster") String clusterId, @PathParam("topic") String topic,
                                      @PathParam("partition") int partition) {
        checkCluster(clusterId);
        TopicMetadata t = broker.topics().describeOrThrow(topic);
        checkPartition(t, partition);
        return partitionDto(t, partition);
    }

    @GET
    @Path("{cluster}/topics/{topic}/partitions/{partition}/replicas")
    public V3Dtos.ListOf<V3Dtos.Replica> replicas(@PathParam("cluster") String clusterId,
                                                  @PathParam("topic") String topic,
                                                  @PathParam("partition") int partition) {
        checkCluster(clusterId);
        TopicMetadata t = broker.topics().describeOrThrow(topic);
        checkPartition(t, partition);
        List<V3Dtos.Replica> out = new ArrayList<>();
        for (int replica : t.assignment().get(partition)) {
            out.add(replicaDto(t, partition, replica));
        }
        return new V3Dtos.ListOf<>("KafkaReplicaList", new V3Dtos.ListMetadata(
                clusterUrl("topics/" + topic + "/partitions/" + partition + "/replicas"), null), out);
    }

    @GET
    @Path("{cluster}/topics/{topic}/partitions/{partition}/replicas/{broker}")
    public V3Dtos.Replica replica(@PathParam("cluster") String clusterId, @PathParam("topic") String topic,
                                  @PathParam("partition") int partition, @PathParam("broker") int brokerId) {
        checkCluster(clusterId);
        TopicMetadata t = broker.topics().describeOrThrow(topic);
        checkPartition(t, partition);
        if (!t.assignment().get(partition).contains(brokerId)) {
            throw new RestException(404, "Broker " + brokerId + " holds no replica of " + topic + "-" + partition + ".");
        }
        return replicaDto(t, partition, brokerId);
    }

    @GET
    @Path("{cluster}/topics/{topic}/configs")
    public V3Dtos.ListOf<V3Dtos.TopicConfig> configs(@PathParam("cluster") String clusterId,
                                                     @PathParam("topic") String topic) {
        checkCluster(clusterId);
        List<V3Dtos.TopicConfig> out = new ArrayList<>();
        for (TopicService.ConfigEntry e : broker.topics().configs(topic)) {
            out.add(new V3Dtos.TopicConfig("KafkaTopicConfig",
                    new V3Dtos.ResourceMetadata(clusterUrl("topics/" + topic + "/configs/" + e.name()),
                            crn() + "/topic=" + topic + "/config=" + e.name()),
                    broker.clusterId(), topic, e.name(), e.value(), e.isDefault(), e.readOnly(), e.sensitive(),
                    e.source().name(), List.of()));
        }
        return new V3Dtos.ListOf<>("KafkaTopicConfigList",
                new V3Dtos.ListMetadata(clusterUrl("topics/" + topic + "/configs"), null), out);
    }

    /** {@code {"data": [{"name": "retention.ms", "value": "1000"}, {"name": "x", "operation": "DELETE"}]}}: all or nothing. */
    @POST
    @Path("{cluster}/topics/{topic}/configs:alter")
    @Consumes({MediaType.APPLICATION_JSON, MediaType.WILDCARD})
    public Response alterConfigs(@PathParam("cluster") String clusterId, @PathParam("topic") String topic, byte[] body) {
        checkCluster(clusterId);
        JsonObject o = JsonBodies.object(body);
        JsonValue data = o.get("data");
        if (!(data instanceof JsonArray array)) {
            throw RestException.unprocessable("Field 'data' must be an array of {\"name\": ..., \"value\": ...}");
        }
        Map<String, Optional<String>> changes = new HashMap<>();
        for (JsonValue item : array) {
            if (!(item instanceof JsonObject c)) {
                throw RestException.unprocessable("Each entry of 'data' must be an object");
            }
            String name = JsonBodies.string(c, "name")
                    .orElseThrow(() -> RestException.unprocessable("A config entry has no 'name'"));
            String operation = JsonBodies.string(c, "operation").orElse("SET");
            switch (operation.toUpperCase(java.util.Locale.ROOT)) {
                case "SET" -> changes.put(name, Optional.of(JsonBodies.string(c, "value")
                        .orElseThrow(() -> RestException.unprocessable("Config '" + name + "' has no 'value'"))));
                case "DELETE" -> changes.put(name, Optional.empty());
                default -> throw RestException.unprocessable("Unknown operation '" + operation + "': use SET or DELETE");
            }
        }
        broker.topics().alterConfigs(topic, changes);
        return Response.noContent().build();
    }

    /**
     * Produces one record, or many sent one after another on a single request. With a
     * {@code Content-Length} body of one record, errors come back with their HTTP status. A chunked
     * body (or several records) is a stream: each record is answered in order, as soon as it is
     * stored, by one JSON object per line carrying its own {@code error_code}.
     */
    @POST
    @Path("{cluster}/topics/{topic}/records")
    @Consumes({MediaType.APPLICATION_JSON, MediaType.WILDCARD})
    public Response produce(@PathParam("cluster") String clusterId, @PathParam("topic") String topic,
                            @HeaderParam("Content-Length") String contentLength, InputStream body) throws IOException {
        checkCluster(clusterId);
        Topics.validateName(topic);
        JsonObjectStream stream = new JsonObjectStream(body);
        if (contentLength != null) {
            JsonObject first = stream.next()
                    .orElseThrow(() -> RestException.badRequest("The request body is empty; a record object was expected"));
            if (!stream.hasNext()) {
                return Response.ok(produceOne(topic, first)).build();
            }
            return Response.ok(streamResults(topic, Optional.of(first), stream)).build();
        }
        return Response.ok(streamResults(topic, Optional.empty(), stream)).build();
    }

    private StreamingOutput streamResults(String topic, Optional<JsonObject> first, JsonObjectStream rest) {
        ErrorMapper errors = new ErrorMapper();
        RecordStreamProducer producer = new RecordStreamProducer(broker.clusterId(), topic,
                (t, requests) -> broker.records().produce(t, requests),
                e -> (ErrorResponse) errors.toResponse(e).getEntity());
        return out -> producer.run(first, rest, out);
    }

    private V3Dtos.ProduceResult produceOne(String topic, JsonObject record) {
        V3RecordParser.Parsed parsed = V3RecordParser.parse(record);
        ProduceResult result = broker.records().produce(topic, List.of(parsed.request())).get(0);
        return new V3Dtos.ProduceResult(200, null, broker.clusterId(), topic, result.partition(), result.offset(),
                Instant.ofEpochMilli(result.timestamp()).toString(), parsed.key(), parsed.value());
    }

    private V3Dtos.Cluster cluster() {
        String self = clusterUrl("");
        return new V3Dtos.Cluster("KafkaCluster", new V3Dtos.ResourceMetadata(self.substring(0, self.length() - 1), crn()),
                broker.clusterId(), new V3Dtos.Related(clusterUrl("brokers/" + broker.config().brokerId())),
                new V3Dtos.Related(clusterUrl("acls")), new V3Dtos.Related(clusterUrl("brokers")),
                new V3Dtos.Related(clusterUrl("broker-configs")), new V3Dtos.Related(clusterUrl("consumer-groups")),
                new V3Dtos.Related(clusterUrl("topics")), new V3Dtos.Related(clusterUrl("topics/-/partitions/-/reassignment")));
    }

    private V3Dtos.Broker brokerDto(BrokerInfo b) {
        Integer port = b.endpoints().isEmpty() ? null : b.endpoints().get(0).port();
        return new V3Dtos.Broker("KafkaBroker",
                new V3Dtos.ResourceMetadata(clusterUrl("brokers/" + b.id()), crn() + "/broker=" + b.id()),
                broker.clusterId(), b.id(), b.host(), port, b.rack().orElse(null),
                new V3Dtos.Related(clusterUrl("brokers/" + b.id() + "/configs")),
                new V3Dtos.Related(clusterUrl("brokers/" + b.id() + "/partition-replicas")));
    }

    private V3Dtos.Topic topicDto(TopicMetadata t) {
        String base = "topics/" + t.name();
        int rf = t.assignment().isEmpty() ? 0 : t.assignment().values().iterator().next().size();
        return new V3Dtos.Topic("KafkaTopic", new V3Dtos.ResourceMetadata(clusterUrl(base), crn() + "/topic=" + t.name()),
                broker.clusterId(), t.name(), Topics.isInternal(t.name()), rf, t.partitionCount(),
                new V3Dtos.Related(clusterUrl(base + "/partitions")), new V3Dtos.Related(clusterUrl(base + "/configs")),
                new V3Dtos.Related(clusterUrl(base + "/partitions/-/reassignment")), List.of());
    }

    private V3Dtos.Partition partitionDto(TopicMetadata t, int partition) {
        String base = "topics/" + t.name() + "/partitions/" + partition;
        int leader = leaderOf(t, partition);
        return new V3Dtos.Partition("KafkaPartition",
                new V3Dtos.ResourceMetadata(clusterUrl(base), crn() + "/topic=" + t.name() + "/partition=" + partition),
                broker.clusterId(), t.name(), partition,
                leader < 0 ? null : new V3Dtos.Related(clusterUrl(base + "/replicas/" + leader)),
                new V3Dtos.Related(clusterUrl(base + "/replicas")),
                new V3Dtos.Related(clusterUrl(base + "/reassignment")));
    }

    private V3Dtos.Replica replicaDto(TopicMetadata t, int partition, int brokerId) {
        String base = "topics/" + t.name() + "/partitions/" + partition + "/replicas/" + brokerId;
        TopicPartition tp = new TopicPartition(t.name(), partition);
        List<Integer> isr = broker.metadata().partitionState(tp).map(s -> s.isr())
                .orElse(t.assignment().get(partition));
        return new V3Dtos.Replica("KafkaReplica",
                new V3Dtos.ResourceMetadata(clusterUrl(base),
                        crn() + "/topic=" + t.name() + "/partition=" + partition + "/replica=" + brokerId),
                broker.clusterId(), t.name(), partition, brokerId, leaderOf(t, partition) == brokerId,
                isr.contains(brokerId), new V3Dtos.Related(clusterUrl("brokers/" + brokerId)));
    }

    private int leaderOf(TopicMetadata t, int partition) {
        TopicPartition tp = new TopicPartition(t.name(), partition);
        Optional<Partition> local = broker.replicas().partition(tp);
        if (local.isPresent()) {
            return local.get().state().leader();
        }
        return broker.metadata().partitionState(tp).map(s -> s.leader()).orElse(-1);
    }

    private void checkPartition(TopicMetadata t, int partition) {
        if (!t.assignment().containsKey(partition)) {
            throw new io.tributary.broker.UnknownPartitionException(t.name(), partition, t.partitionCount());
        }
    }

    private void checkCluster(String clusterId) {
        String actual = broker.metadata() == null ? null : broker.clusterId();
        if (!clusterId.equals(actual)) {
            throw new RestException(404, "Cluster '" + clusterId + "' is not this cluster; this broker serves cluster '"
                    + actual + "'.");
        }
    }

    private String crn() {
        return "crn:///kafka=" + broker.clusterId();
    }

    private String clusterUrl(String rest) {
        return url("v3/clusters/" + broker.clusterId() + "/" + rest);
    }

    private String url(String path) {
        return uri.getBaseUri().toString().replaceAll("/+$", "") + "/" + path;
    }
}
