package io.tributary.protocol;

import io.tributary.group.CommittedOffset;
import io.tributary.group.GroupCoordinator;
import io.tributary.group.CoordinatorPlacement;
import io.tributary.group.GroupState;
import io.tributary.group.OffsetsTopic;
import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.PartitionState;
import io.tributary.metadata.Endpoint;
import io.tributary.metadata.TopicMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.SyncGroupRequest;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * The group APIs of the Kafka protocol, translated to and from the {@link GroupCoordinator}:
 * FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
 * ListGroups, DescribeGroups and DeleteGroups. FindCoordinator names the leader of the group's
 * {@code __consumer_offsets} partition; the other APIs answer NOT_COORDINATOR for groups this
 * broker does not coordinate (see {@link GroupCoordinator.Ownership}). JoinGroup and SyncGroup answer when the coordinator completes them, which can be a
 * rebalance timeout later; no thread waits for that.
 *
 * <p>Version quirks handled here: JoinGroup v0 has no rebalance timeout (the session timeout is
 * used, as in Kafka); v4+ first joins get MEMBER_ID_REQUIRED; names that are nullable only in newer
 * versions are sent as empty strings to older ones; OffsetCommit and OffsetFetch v10 name topics by
 * id; OffsetFetch v8+ carries several groups.
 *
 * <p>Thread-safe (the coordinator is).
 */
final class GroupApi {

    private static final byte KEY_TYPE_GROUP = 0;

    private final BrokerContext broker;
    private final GroupCoordinator coordinator;

    GroupApi(BrokerContext broker, GroupCoordinator coordinator) {
        this.broker = broker;
        this.coordinator = coordinator;
    }

    /** A group's coordinator as FindCoordinator answers it: the broker and its endpoint, or why there is none. */
    private record Located(Errors error, int nodeId, Endpoint endpoint) {
    }

    CompletionStage<RequestHandler.Response> findCoordinator(KafkaApis.RequestContext ctx, AbstractRequest request) {
        FindCoordinatorRequestData req = ((FindCoordinatorRequest) request).data();
        FindCoordinatorResponseData out = new FindCoordinatorResponseData();
        if (ctx.version() >= 4) {
            for (String key : req.coordinatorKeys()) {
                FindCoordinatorResponseData.Coordinator c = new FindCoordinatorResponseData.Coordinator().setKey(key);
                Located located = locate(req.keyType(), key);
                Errors error = located.error();
                c.setErrorCode(error.code());
                if (error == Errors.NONE) {
                    c.setNodeId(located.nodeId()).setHost(located.endpoint().host()).setPort(located.endpoint().port());
                } else {
                    c.setNodeId(-1).setHost("").setPort(-1).setErrorMessage(error.message());
                }
                out.coordinators().add(c);
            }
            return ctx.respondNow(out);
        }
        Located located = locate(ctx.version() >= 1 ? req.keyType() : KEY_TYPE_GROUP, req.key());
        Errors error = located.error();
        out.setErrorCode(error.code());
        if (error == Errors.NONE) {
            out.setNodeId(located.nodeId()).setHost(located.endpoint().host()).setPort(located.endpoint().port());
        } else {
            out.setNodeId(-1).setHost("").setPort(-1);
            if (ctx.version() >= 1) {
                out.setErrorMessage(error.message());
            }
        }
        return ctx.respondNow(out);
    }

    /**
     * The leader of the group's {@code __consumer_offsets} partition, on this request's listener
     * (the topic is created on the first look-up, so the first answer is COORDINATOR_NOT_AVAILABLE).
     * A coordinator of every group answers itself.
     */
    private Located locate(byte keyType, String key) {
        if (keyType != KEY_TYPE_GROUP) {
            // Transactions and share groups are not coordinated here.
            return new Located(keyType == 1 ? Errors.COORDINATOR_NOT_AVAILABLE : Errors.INVALID_REQUEST, -1, null);
        }
        if (key == null || key.isEmpty()) {
            return new Located(Errors.INVALID_GROUP_ID, -1, null);
        }
        Map<Integer, Endpoint> endpoints = new HashMap<>();
        for (BrokerInfo b : broker.liveBrokers()) {
            b.endpoint(broker.listenerName()).ifPresent(e -> endpoints.put(b.id(), e));
        }
        OptionalInt node = coordinator.ownership() == GroupCoordinator.Ownership.EVERY_GROUP
                ? OptionalInt.of(broker.brokerId())
                : CoordinatorPlacement.coordinator(coordinator.storePartition(key),
                        p -> broker.metadata().partitionState(new TopicPartition(OffsetsTopic.NAME, p))
                                .map(PartitionState::leader).orElse(PartitionState.NO_LEADER),
                        endpoints::containsKey);
        if (node.isEmpty() || !endpoints.containsKey(node.getAsInt())) {
            return new Located(Errors.COORDINATOR_NOT_AVAILABLE, -1, null);
        }
        return new Located(Errors.NONE, node.getAsInt(), endpoints.get(node.getAsInt()));
    }

    CompletionStage<RequestHandler.Response> joinGroup(KafkaApis.RequestContext ctx, AbstractRequest request) {
        JoinGroupRequestData req = ((JoinGroupRequest) request).data();
        short v = ctx.version();
        List<GroupCoordinator.Protocol> protocols = new ArrayList<>();
        req.protocols().forEach(p -> protocols.add(new GroupCoordinator.Protocol(p.name(), p.metadata())));
        GroupCoordinator.JoinRequest join = new GroupCoordinator.JoinRequest(req.groupId(), req.memberId(),
                v >= 5 ? req.groupInstanceId() : null, ctx.header().clientId(), clientHost(ctx),
                req.sessionTimeoutMs(), v >= 1 ? req.rebalanceTimeoutMs() : req.sessionTimeoutMs(),
                req.protocolType(), protocols, v >= 4);
        return coordinator.join(join).thenApply(r -> {
            JoinGroupResponseData out = new JoinGroupResponseData()
                    .setErrorCode(r.error().code())
                    .setGenerationId(r.generationId())
                    .setProtocolName(r.protocolName() != null ? r.protocolName() : v >= 7 ? null : "")
                    .setLeader(r.leaderId() == null ? "" : r.leaderId())
                    .setMemberId(r.memberId());
            if (v >= 7) {
                out.setProtocolType(r.protocolType());
            }
            for (GroupCoordinator.JoinedMember m : r.members()) {
                out.members().add(new JoinGroupResponseData.JoinGroupResponseMember().setMemberId(m.memberId())
                        .setGroupInstanceId(v >= 5 ? m.groupInstanceId() : null).setMetadata(m.metadata()));
            }
            return ctx.respond(out);
        });
    }

    CompletionStage<RequestHandler.Response> syncGroup(KafkaApis.RequestContext ctx, AbstractRequest request) {
        SyncGroupRequestData req = ((SyncGroupRequest) request).data();
        short v = ctx.version();
        Map<String, byte[]> assignments = new HashMap<>();
        req.assignments().forEach(a -> assignments.put(a.memberId(), a.assignment()));
        GroupCoordinator.SyncRequest sync = new GroupCoordinator.SyncRequest(req.groupId(), req.generationId(),
                req.memberId(), v >= 3 ? req.groupInstanceId() : null, v >= 5 ? req.protocolType() : null,
                v >= 5 ? req.protocolName() : null, assignments);
        return coordinator.sync(sync).thenApply(r -> {
            SyncGroupResponseData out = new SyncGroupResponseData().setErrorCode(r.error().code())
                    .setAssignment(r.assignment());
            if (v >= 5) {
                out.setProtocolType(r.protocolType()).setProtocolName(r.protocolName());
            }
            return ctx.respond(out);
        });
    }

    CompletionStage<RequestHandler.Response> heartbeat(KafkaApis.RequestContext ctx, AbstractRequest request) {
        HeartbeatRequestData req = ((HeartbeatRequest) request).data();
        Errors error = coordinator.heartbeat(req.groupId(), req.memberId(),
                ctx.version() >= 3 ? req.groupInstanceId() : null, req.generationId());
        return ctx.respondNow(new HeartbeatResponseData().setErrorCode(error.code()));
    }

    CompletionStage<RequestHandler.Response> leaveGroup(KafkaApis.RequestContext ctx, AbstractRequest request) {
        LeaveGroupRequestData req = ((LeaveGroupRequest) request).data();
        LeaveGroupResponseData out = new LeaveGroupResponseData();
        if (ctx.version() < 3) {
            GroupCoordinator.MemberIdentity only = new GroupCoordinator.MemberIdentity(req.memberId(), null);
            Errors error = coordinator.leave(req.groupId(), List.of(only)).get(only);
            return ctx.respondNow(out.setErrorCode(error.code()));
        }
        List<GroupCoordinator.MemberIdentity> leaving = new ArrayList<>();
        req.members().forEach(m -> leaving.add(new GroupCoordinator.MemberIdentity(m.memberId(), m.groupInstanceId())));
        coordinator.leave(req.groupId(), leaving).forEach((m, error) -> out.members().add(
                new LeaveGroupResponseData.MemberResponse().setMemberId(m.memberId())
                        .setGroupInstanceId(m.groupInstanceId()).setErrorCode(error.code())));
        return ctx.respondNow(out.setErrorCode(Errors.NONE.code()));
    }

    CompletionStage<RequestHandler.Response> offsetCommit(KafkaApis.RequestContext ctx, AbstractRequest request) {
        OffsetCommitRequestData req = ((OffsetCommitRequest) request).data();
        short v = ctx.version();
        boolean byId = v >= 10;
        OffsetCommitResponseData out = new OffsetCommitResponseData();
        Map<TopicPartition, CommittedOffset> offsets = new LinkedHashMap<>();
        Map<String, OffsetCommitResponseData.OffsetCommitResponseTopic> topics = new LinkedHashMap<>();
        long now = coordinator.now();
        for (OffsetCommitRequestData.OffsetCommitRequestTopic t : req.topics()) {
            OffsetCommitResponseData.OffsetCommitResponseTopic topic = new OffsetCommitResponseData.OffsetCommitResponseTopic();
            if (byId) {
                topic.setTopicId(t.topicId());
            } else {
                topic.setName(t.name());
            }
            out.topics().add(topic);
            Optional<String> name = byId ? broker.topicName(t.topicId()) : Optional.ofNullable(t.name());
            for (OffsetCommitRequestData.OffsetCommitRequestPartition p : t.partitions()) {
                if (name.isEmpty()) {
                    topic.partitions().add(partitionError(p.partitionIndex(),
                            byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION));
                    continue;
                }
                TopicPartition tp = new TopicPartition(name.get(), p.partitionIndex());
                offsets.put(tp, new CommittedOffset(p.committedOffset(), v >= 6 ? p.committedLeaderEpoch() : -1,
                        p.committedMetadata(), now));
                topics.put(name.get(), topic);
            }
        }
        Map<TopicPartition, Errors> errors = coordinator.commitOffsets(req.groupId(), req.memberId(),
                v >= 7 ? req.groupInstanceId() : null, req.generationIdOrMemberEpoch(), offsets);
        errors.forEach((tp, error) -> topics.get(tp.topic()).partitions().add(partitionError(tp.partition(), error)));
        return ctx.respondNow(out);
    }

    private static OffsetCommitResponseData.OffsetCommitResponsePartition partitionError(int partition, Errors error) {
        return new OffsetCommitResponseData.OffsetCommitResponsePartition().setPartitionIndex(partition)
                .setErrorCode(error.code());
    }

    CompletionStage<RequestHandler.Response> offsetFetch(KafkaApis.RequestContext ctx, AbstractRequest request) {
        OffsetFetchRequestData req = ((OffsetFetchRequest) request).data();
        short v = ctx.version();
        OffsetFetchResponseData out = new OffsetFetchResponseData();
        if (v < 8) {
            Optional<Collection<TopicPartition>> wanted = req.topics() == null ? Optional.empty()
                    : Optional.of(req.topics().stream().flatMap(t -> t.partitionIndexes().stream()
                    .map(p -> new TopicPartition(t.name(), p))).toList());
            Errors notHere = coordinator.coordinatorError(req.groupId());
            if (notHere != Errors.NONE) {
                return ctx.respondNow(out.setErrorCode(notHere.code()));
            }
            Map<TopicPartition, CommittedOffset> offsets = coordinator.fetchOffsets(req.groupId(), wanted);
            Map<String, OffsetFetchResponseData.OffsetFetchResponseTopic> topics = new LinkedHashMap<>();
            offsets.forEach((tp, o) -> topics.computeIfAbsent(tp.topic(), n -> {
                OffsetFetchResponseData.OffsetFetchResponseTopic t = new OffsetFetchResponseData.OffsetFetchResponseTopic().setName(n);
                out.topics().add(t);
                return t;
            }).partitions().add(new OffsetFetchResponseData.OffsetFetchResponsePartition().setPartitionIndex(tp.partition())
                    .setCommittedOffset(o.offset()).setCommittedLeaderEpoch(v >= 5 ? o.leaderEpoch() : -1)
                    .setMetadata(o.metadata()).setErrorCode(Errors.NONE.code())));
            return ctx.respondNow(out.setErrorCode(Errors.NONE.code()));
        }
        boolean byId = v >= 10;
        for (OffsetFetchRequestData.OffsetFetchRequestGroup g : req.groups()) {
            OffsetFetchResponseData.OffsetFetchResponseGroup group = new OffsetFetchResponseData.OffsetFetchResponseGroup()
                    .setGroupId(g.groupId()).setErrorCode(Errors.NONE.code());
            out.groups().add(group);
            Errors notHere = coordinator.coordinatorError(g.groupId());
            if (notHere != Errors.NONE) {
                group.setErrorCode(notHere.code());
                continue;
            }
            Map<String, OffsetFetchResponseData.OffsetFetchResponseTopics> topics = new LinkedHashMap<>();
            List<TopicPartition> wanted = new ArrayList<>();
            if (g.topics() != null) {
                for (OffsetFetchRequestData.OffsetFetchRequestTopics t : g.topics()) {
                    Optional<String> name = byId ? broker.topicName(t.topicId()) : Optional.ofNullable(t.name());
                    OffsetFetchResponseData.OffsetFetchResponseTopics topic = new OffsetFetchResponseData.OffsetFetchResponseTopics();
                    if (byId) {
                        topic.setTopicId(t.topicId());
                    } else {
                        topic.setName(t.name());
                    }
                    group.topics().add(topic);
                    if (name.isEmpty()) {
                        t.partitionIndexes().forEach(p -> topic.partitions().add(fetched(p, GroupCoordinator.NO_OFFSET)
                                .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code())));
                        continue;
                    }
                    topics.put(name.get(), topic);
                    t.partitionIndexes().forEach(p -> wanted.add(new TopicPartition(name.get(), p)));
                }
            }
            Map<TopicPartition, CommittedOffset> offsets = coordinator.fetchOffsets(g.groupId(),
                    g.topics() == null ? Optional.empty() : Optional.of(wanted));
            offsets.forEach((tp, o) -> {
                OffsetFetchResponseData.OffsetFetchResponseTopics topic = topics.get(tp.topic());
                if (topic == null) {
                    Optional<Uuid> id = broker.metadata().topic(tp.topic()).map(TopicMetadata::topicId);
                    if (byId && id.isEmpty()) {
                        return; // The topic was deleted; v10 cannot name it.
                    }
                    topic = new OffsetFetchResponseData.OffsetFetchResponseTopics();
                    if (byId) {
                        topic.setTopicId(id.get());
                    } else {
                        topic.setName(tp.topic());
                    }
                    topics.put(tp.topic(), topic);
                    group.topics().add(topic);
                }
                topic.partitions().add(fetched(tp.partition(), o));
            });
        }
        return ctx.respondNow(out);
    }

    private static OffsetFetchResponseData.OffsetFetchResponsePartitions fetched(int partition, CommittedOffset o) {
        return new OffsetFetchResponseData.OffsetFetchResponsePartitions().setPartitionIndex(partition)
                .setCommittedOffset(o.offset()).setCommittedLeaderEpoch(o.leaderEpoch()).setMetadata(o.metadata())
                .setErrorCode(Errors.NONE.code());
    }

    CompletionStage<RequestHandler.Response> listGroups(KafkaApis.RequestContext ctx, AbstractRequest request) {
        ListGroupsRequestData req = ((ListGroupsRequest) request).data();
        short v = ctx.version();
        Set<String> states = v >= 4 && req.statesFilter() != null
                ? req.statesFilter().stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toSet()) : Set.of();
        Set<String> types = v >= 5 && req.typesFilter() != null
                ? req.typesFilter().stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toSet()) : Set.of();
        ListGroupsResponseData out = new ListGroupsResponseData().setErrorCode(Errors.NONE.code());
        if (!types.isEmpty() && !types.contains("classic")) {
            return ctx.respondNow(out);
        }
        for (GroupCoordinator.GroupOverview g : coordinator.listGroups()) {
            if (!states.isEmpty() && !states.contains(g.state().kafkaName().toLowerCase(Locale.ROOT))) {
                continue;
            }
            ListGroupsResponseData.ListedGroup listed = new ListGroupsResponseData.ListedGroup().setGroupId(g.groupId())
                    .setProtocolType(g.protocolType());
            if (v >= 4) {
                listed.setGroupState(g.state().kafkaName());
            }
            if (v >= 5) {
                listed.setGroupType("classic");
            }
            out.groups().add(listed);
        }
        return ctx.respondNow(out);
    }

    CompletionStage<RequestHandler.Response> describeGroups(KafkaApis.RequestContext ctx, AbstractRequest request) {
        DescribeGroupsRequestData req = ((DescribeGroupsRequest) request).data();
        short v = ctx.version();
        DescribeGroupsResponseData out = new DescribeGroupsResponseData();
        for (String groupId : req.groups()) {
            DescribeGroupsResponseData.DescribedGroup described = new DescribeGroupsResponseData.DescribedGroup()
                    .setGroupId(groupId).setProtocolType("").setProtocolData("");
            out.groups().add(described);
            Errors notHere = coordinator.coordinatorError(groupId);
            if (notHere != Errors.NONE) {
                described.setGroupState(GroupState.DEAD.kafkaName()).setErrorCode(notHere.code());
                continue;
            }
            Optional<GroupCoordinator.GroupDescription> found = coordinator.describeGroup(groupId);
            if (found.isEmpty()) {
                // v6 clients expect GROUP_ID_NOT_FOUND (KIP-1043); older ones a Dead group, as Kafka answers them.
                described.setGroupState(GroupState.DEAD.kafkaName());
                if (v >= 6) {
                    described.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code())
                            .setErrorMessage("Group " + groupId + " not found.");
                }
                continue;
            }
            GroupCoordinator.GroupDescription g = found.get();
            described.setGroupState(g.state().kafkaName()).setProtocolType(g.protocolType())
                    .setProtocolData(g.protocolName() == null ? "" : g.protocolName());
            for (GroupCoordinator.MemberDescription m : g.members()) {
                described.members().add(new DescribeGroupsResponseData.DescribedGroupMember().setMemberId(m.memberId())
                        .setGroupInstanceId(v >= 4 ? m.groupInstanceId() : null)
                        .setClientId(m.clientId() == null ? "" : m.clientId()).setClientHost(m.clientHost())
                        .setMemberMetadata(m.metadata()).setMemberAssignment(m.assignment()));
            }
        }
        return ctx.respondNow(out);
    }

    CompletionStage<RequestHandler.Response> deleteGroups(KafkaApis.RequestContext ctx, AbstractRequest request) {
        DeleteGroupsRequestData req = ((DeleteGroupsRequest) request).data();
        DeleteGroupsResponseData out = new DeleteGroupsResponseData();
        coordinator.deleteGroups(req.groupsNames()).forEach((groupId, error) -> out.results().add(
                new DeleteGroupsResponseData.DeletableGroupResult().setGroupId(groupId).setErrorCode(error.code())));
        return ctx.respondNow(out);
    }

    private static String clientHost(KafkaApis.RequestContext ctx) {
        return ctx.clientAddress() == null ? "" : "/" + ctx.clientAddress().getHostAddress();
    }
}
