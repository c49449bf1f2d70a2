package io.tributary.api.rest;

import io.tributary.app.Broker;
import io.tributary.broker.subscription.StartPosition;
import io.tributary.group.GroupAdmin;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.apache.kafka.common.TopicPartition;

import java.io.StringReader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Consumer groups in the v3 API, shaped like Confluent's REST Proxy: groups, their consumers and
 * assignments, lags and the lag summary, deletion, and an offset reset of our own
 * ({@code POST .../offsets:reset}). Thin: {@link GroupAdmin} does the work.
 */
@Path("/v3/clusters/{cluster}/consumer-groups")
@Produces(MediaType.APPLICATION_JSON)
@RequestScoped
public class ConsumerGroupsResource {

    private static final String TARGETS = "\"earliest\", \"latest\", {\"offset\": N} or {\"timestamp\": epoch ms}";

    private final Broker broker;
    private final GroupForwarding forwarding;
    private final JsonCodec codec;

    @Context
    UriInfo uri;

    @Context
    HttpHeaders headers;

    /** For the container's client proxy only. */
    protected ConsumerGroupsResource() {
        this(null, null, null);
    }

    @Inject
    public ConsumerGroupsResource(Broker broker, GroupForwarding forwarding, JsonCodec codec) {
        this.broker = broker;
        this.forwarding = forwarding;
        this.codec = codec;
    }

    /**
     * Every group of the cluster: this broker's own and those each other live broker coordinates
     * (asked over HTTP); 503 if a live broker does not answer.
     */
    @GET
    public V3Dtos.ListOf<JsonObject> groups(@PathParam("cluster") String clusterId) {
        checkCluster(clusterId);
        List<JsonObject> own = new ArrayList<>();
        for (GroupAdmin.ConsumerGroup g : broker.groupAdmin().list()) {
            own.add(toJsonObject(groupDto(g)));
        }
        List<List<JsonObject>> lists = new ArrayList<>();
        lists.add(own);
        lists.addAll(forwarding.groupsOfOtherBrokers(clusterId, headers));
        return new V3Dtos.ListOf<>("KafkaConsumerGroupList", new V3Dtos.ListMetadata(clusterUrl("consumer-groups"), null),
                GroupLists.merge(lists));
    }

    @GET
    @Path("{group}")
    public V3Dtos.ConsumerGroup group(@PathParam("cluster") String clusterId, @PathParam("group") String groupId) {
        checkCluster(clusterId);
        return groupDto(broker.groupAdmin().describeOrThrow(groupId));
    }

    /** Deletes a group without members, with its committed offsets; 409 while it has members. */
    @DELETE
    @Path("{group}")
    public Response deleteGroup(@PathParam("cluster") String clusterId, @PathParam("group") String groupId) {
        checkCluster(clusterId);
        broker.groupAdmin().delete(groupId);
        return Response.noContent().build();
    }

    @GET
    @Path("{group}/consumers")
    public V3Dtos.ListOf<V3Dtos.Consumer> consumers(@PathParam("cluster") String clusterId,
                                                   @PathParam("group") String groupId) {
        checkCluster(clusterId);
        GroupAdmin.ConsumerGroup g = broker.groupAdmin().describeOrThrow(groupId);
        List<V3Dtos.Consumer> out = new ArrayList<>();
        for (GroupAdmin.Consumer c : g.consumers()) {
            out.add(consumerDto(groupId, c));
        }
        return new V3Dtos.ListOf<>("KafkaConsumerList", new V3Dtos.ListMetadata(groupUrl(groupId, "/consumers"), null),
                out);
    }

    @GET
    @Path("{group}/consumers/{consumer}")
    public V3Dtos.Consumer consumer(@PathParam("cluster") String clusterId, @PathParam("group") String groupId,
                                    @PathParam("consumer") String consumerId) {
        checkCluster(clusterId);
        return consumerDto(groupId, member(groupId, consumerId));
    }

    @GET
    @Path("{group}/consumers/{consumer}/assignments")
    public V3Dtos.ListOf<V3Dtos.ConsumerAssignment> assignments(@PathParam("cluster") String clusterId,
                                                                @PathParam("group") String groupId,
                                                                @PathParam("consumer") String consumerId) {
        checkCluster(clusterId);
        GroupAdmin.Consumer c = member(groupId, consumerId);
        List<V3Dtos.ConsumerAssignment> out = new ArrayList<>();
        for (TopicPartition tp : c.assignment()) {
            out.add(assignmentDto(groupId, c, tp));
        }
        return new V3Dtos.ListOf<>("KafkaConsumerAssignmentList", new V3Dtos.ListMetadata(
                groupUrl(groupId, "/consumers/" + segment(consumerId) + "/assignments"), null), out);
    }

    @GET
    @Path("{group}/consumers/{consumer}/assignments/{topic}/partitions/{partition}")
    public V3Dtos.ConsumerAssignment assignment(@PathParam("cluster") String clusterId,
                                                @PathParam("group") String groupId,
                                                @PathParam("consumer") String consumerId,
                                                @PathParam("topic") String topic,
                                                @PathParam("partition") int partition) {
        checkCluster(clusterId);
        GroupAdmin.Consumer c = member(groupId, consumerId);
        TopicPartition tp = new TopicPartition(topic, partition);
        if (!c.assignment().contains(tp)) {
            throw new RestException(404, "Partition " + tp + " is not assigned to consumer '" + consumerId
                    + "' of consumer group '" + groupId + "'.");
        }
        return assignmentDto(groupId, c, tp);
    }

    @GET
    @Path("{group}/lags")
    public V3Dtos.ListOf<V3Dtos.ConsumerLag> lags(@PathParam("cluster") String clusterId,
                                                 @PathParam("group") String groupId) {
        checkCluster(clusterId);
        List<V3Dtos.ConsumerLag> out = new ArrayList<>();
        for (GroupAdmin.PartitionLag lag : broker.groupAdmin().lags(groupId)) {
            out.add(lagDto(groupId, lag));
        }
        return new V3Dtos.ListOf<>("KafkaConsumerLagList", new V3Dtos.ListMetadata(groupUrl(groupId, "/lags"), null),
                out);
    }

    @GET
    @Path("{group}/lags/{topic}/partitions/{partition}")
    public V3Dtos.ConsumerLag lag(@PathParam("cluster") String clusterId, @PathParam("group") String groupId,
                                  @PathParam("topic") String topic, @PathParam("partition") int partition) {
        checkCluster(clusterId);
        TopicPartition tp = new TopicPartition(topic, partition);
        return broker.groupAdmin().lag(groupId, tp).map(l -> lagDto(groupId, l))
                .orElseThrow(() -> new RestException(404, "Consumer group '" + groupId
                        + "' has neither a committed offset for nor an assignment of " + tp + "."));
    }

    @GET
    @Path("{group}/lag-summary")
    public V3Dtos.ConsumerGroupLagSummary lagSummary(@PathParam("cluster") String clusterId,
                                                     @PathParam("group") String groupId) {
        checkCluster(clusterId);
        GroupAdmin.LagSummary s = broker.groupAdmin().lagSummary(groupId);
        Optional<GroupAdmin.PartitionLag> max = s.maxLagPartition();
        Optional<GroupAdmin.Consumer> owner = max.flatMap(GroupAdmin.PartitionLag::owner);
        return new V3Dtos.ConsumerGroupLagSummary("KafkaConsumerGroupLagSummary",
                new V3Dtos.ResourceMetadata(groupUrl(groupId, "/lag-summary"), groupCrn(groupId) + "/lag-summary"),
                broker.clusterId(), groupId, s.maxLag(), s.totalLag(),
                owner.map(GroupAdmin.Consumer::consumerId).orElse(null),
                owner.map(c -> new V3Dtos.Related(groupUrl(groupId, "/consumers/" + segment(c.consumerId()))))
                        .orElse(null),
                owner.map(GroupAdmin.Consumer::clientId).orElse(null),
                owner.map(GroupAdmin.Consumer::instanceId).orElse(null),
                max.map(l -> l.partition().topic()).orElse(null),
                max.map(l -> l.partition().partition()).orElse(null),
                max.map(l -> partitionLink(l.partition())).orElse(null));
    }

    /**
     * Resets the group's committed offsets while it has no members:
     * {@code {"topics": ["t", {"topic_name": "u", "partitions": [0, 2]}], "to": "earliest"}}, with
     * {@code to} one of {@code "earliest"}, {@code "latest"}, {@code {"offset": N}} or
     * {@code {"timestamp": epoch ms}}. Answers the new offsets; 409 while the group has members.
     */
    @POST
    @Path("{group}/offsets:reset")
    @Consumes({MediaType.APPLICATION_JSON, MediaType.WILDCARD})
    public V3Dtos.ListOf<V3Dtos.ConsumerGroupOffset> resetOffsets(@PathParam("cluster") String clusterId,
                                                                 @PathParam("group") String groupId, byte[] body) {
        checkCluster(clusterId);
        JsonObject o = JsonBodies.object(body);
        List<GroupAdmin.TopicSelection> topics = topicSelection(o);
        StartPosition target = target(o);
        List<V3Dtos.ConsumerGroupOffset> out = new ArrayList<>();
        for (GroupAdmin.OffsetChange change : broker.groupAdmin().resetOffsets(groupId, topics, target)) {
            TopicPartition tp = change.partition();
            out.add(new V3Dtos.ConsumerGroupOffset("KafkaConsumerGroupOffset", broker.clusterId(), groupId, tp.topic(),
                    tp.partition(), change.previousOffset(), change.offset(), lagLink(groupId, tp)));
        }
        return new V3Dtos.ListOf<>("KafkaConsumerGroupOffsetList",
                new V3Dtos.ListMetadata(groupUrl(groupId, "/offsets:reset"), null), out);
    }

    // ---------------------------------------------------------------- request bodies

    private static List<GroupAdmin.TopicSelection> topicSelection(JsonObject o) {
        JsonValue v = o.get("topics");
        if (!(v instanceof JsonArray array) || array.isEmpty()) {
            throw RestException.unprocessable("Field 'topics' must be a non-empty array of topic names or "
                    + "{\"topic_name\": ..., \"partitions\": [...]} objects");
        }
        List<GroupAdmin.TopicSelection> out = new ArrayList<>();
        for (JsonValue item : array) {
            if (item instanceof JsonString name) {
                out.add(new GroupAdmin.TopicSelection(name.getString(), Optional.empty()));
            } else if (item instanceof JsonObject t) {
                String name = JsonBodies.string(t, "topic_name")
                        .orElseThrow(() -> RestException.unprocessable("An entry of 'topics' has no 'topic_name'"));
                out.add(new GroupAdmin.TopicSelection(name, partitions(t, name)));
            } else {
                throw RestException.unprocessable("Each entry of 'topics' must be a topic name or an object");
            }
        }
        return out;
    }

    private static Optional<List<Integer>> partitions(JsonObject t, String topic) {
        JsonValue v = t.get("partitions");
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return Optional.empty();
        }
        if (!(v instanceof JsonArray array) || array.isEmpty()) {
            throw RestException.unprocessable("'partitions' of topic '" + topic
                    + "' must be a non-empty array of partition ids (leave it out for every partition)");
        }
        List<Integer> out = new ArrayList<>();
        for (JsonValue p : array) {
            if (!(p instanceof JsonNumber n) || !n.isIntegral() || n.longValue() < 0 || n.longValue() > Integer.MAX_VALUE) {
                throw RestException.unprocessable("'partitions' of topic '" + topic + "' must hold partition ids, got " + p);
            }
            out.add(n.intValue());
        }
        return Optional.of(out);
    }

    private static StartPosition target(JsonObject o) {
        JsonValue v = o.get("to");
        if (v instanceof JsonString s) {
            return switch (s.getString().toLowerCase(Locale.ROOT)) {
                case "earliest" -> new StartPosition.Earliest();
                case "latest" -> new StartPosition.Latest();
                default -> throw RestException.unprocessable("Unknown reset target '" + s.getString() + "': 'to' must be "
                        + TARGETS);
            };
        }
        if (v instanceof JsonObject t && t.size() == 1) {
            Optional<Long> offset = JsonBodies.integer(t, "offset");
            if (offset.isPresent()) {
                if (offset.get() < 0) {
                    throw RestException.unprocessable("'offset' must not be negative");
                }
                return new StartPosition.AtOffset(offset.get());
            }
            Optional<Long> timestamp = JsonBodies.integer(t, "timestamp");
            if (timestamp.isPresent()) {
                if (timestamp.get() < 0) {
                    throw RestException.unprocessable("'timestamp' must be epoch milliseconds, not negative");
                }
                return new StartPosition.AtTimestamp(timestamp.get());
            }
        }
        throw RestException.unprocessable("Field 'to' must be " + TARGETS);
    }

    // ---------------------------------------------------------------- DTOs

    private GroupAdmin.Consumer member(String groupId, String consumerId) {
        return broker.groupAdmin().describeOrThrow(groupId).consumer(consumerId)
                .orElseThrow(() -> new RestException(404, "Consumer '" + consumerId + "' is not a member of consumer group '"
                        + groupId + "'."));
    }

    /** A DTO as the JSON it is answered as, so it can sit in one list with other brokers' entries. */
    private JsonObject toJsonObject(Object dto) {
        try (JsonReader reader = Json.createReader(new StringReader(codec.toJson(dto)))) {
            return reader.readObject();
        }
    }

    private V3Dtos.ConsumerGroup groupDto(GroupAdmin.ConsumerGroup g) {
        String id = g.groupId();
        return new V3Dtos.ConsumerGroup("KafkaConsumerGroup", new V3Dtos.ResourceMetadata(groupUrl(id, ""), groupCrn(id)),
                broker.clusterId(), id, g.isSimple(), g.partitionAssignor(), g.state().name(), "CLASSIC", false,
                new V3Dtos.Related(clusterUrl("brokers/" + broker.config().brokerId())),
                new V3Dtos.Related(groupUrl(id, "/consumers")), new V3Dtos.Related(groupUrl(id, "/lag-summary")));
    }

    private V3Dtos.Consumer consumerDto(String groupId, GroupAdmin.Consumer c) {
        String base = groupUrl(groupId, "/consumers/" + segment(c.consumerId()));
        return new V3Dtos.Consumer("KafkaConsumer",
                new V3Dtos.ResourceMetadata(base, groupCrn(groupId) + "/consumer=" + c.consumerId()),
                broker.clusterId(), groupId, c.consumerId(), c.instanceId(), c.clientId(),
                new V3Dtos.Related(base + "/assignments"));
    }

    private V3Dtos.ConsumerAssignment assignmentDto(String groupId, GroupAdmin.Consumer c, TopicPartition tp) {
        return new V3Dtos.ConsumerAssignment("KafkaConsumerAssignment", new V3Dtos.ResourceMetadata(
                groupUrl(groupId, "/consumers/" + segment(c.consumerId()) + "/assignments/" + tp.topic() + "/partitions/"
                        + tp.partition()),
                groupCrn(groupId) + "/consumer=" + c.consumerId() + "/assignment=" + tp.topic() + "/partition="
                        + tp.partition()),
                broker.clusterId(), groupId, c.consumerId(), tp.topic(), tp.partition(), partitionLink(tp),
                lagLink(groupId, tp));
    }

    private V3Dtos.ConsumerLag lagDto(String groupId, GroupAdmin.PartitionLag lag) {
        TopicPartition tp = lag.partition();
        Optional<GroupAdmin.Consumer> owner = lag.owner();
        return new V3Dtos.ConsumerLag("KafkaConsumerLag", new V3Dtos.ResourceMetadata(lagLink(groupId, tp).related(),
                groupCrn(groupId) + "/lag=" + tp.topic() + "/partition=" + tp.partition()),
                broker.clusterId(), groupId, tp.topic(), tp.partition(), lag.currentOffset(), lag.logEndOffset(),
                lag.lag().orElse(null), owner.map(GroupAdmin.Consumer::consumerId).orElse(null),
                owner.map(GroupAdmin.Consumer::instanceId).orElse(null),
                owner.map(GroupAdmin.Consumer::clientId).orElse(null));
    }

    private V3Dtos.Related partitionLink(TopicPartition tp) {
        return new V3Dtos.Related(clusterUrl("topics/" + tp.topic() + "/partitions/" + tp.partition()));
    }

    private V3Dtos.Related lagLink(String groupId, TopicPartition tp) {
        return new V3Dtos.Related(groupUrl(groupId, "/lags/" + tp.topic() + "/partitions/" + tp.partition()));
    }

    // ---------------------------------------------------------------- links

    private void checkCluster(String clusterId) {
        String actual = broker.metadata() == null ? null : broker.clusterId();
        if (!clusterId.equals(actual)) {
            throw new RestException(404, "Cluster '" + clusterId + "' is not this cluster; this broker serves cluster '"
                    + actual + "'.");
        }
    }

    private String groupCrn(String groupId) {
        return "crn:///kafka=" + broker.clusterId() + "/consumer-group=" + groupId;
    }

    private String groupUrl(String groupId, String rest) {
        return clusterUrl("consumer-groups/" + segment(groupId) + rest);
    }

    private String clusterUrl(String rest) {
        return uri.getBaseUri().toString().replaceAll("/+$", "") + "/v3/clusters/" + broker.clusterId() + "/" + rest;
    }

    /** Group and member ids are free-form (spaces, slashes), unlike topic names: escape them in links. */
    private static String segment(String id) {
        return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
