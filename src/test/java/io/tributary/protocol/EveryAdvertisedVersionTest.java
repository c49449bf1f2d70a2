package io.tributary.protocol;

import io.tributary.broker.Partitioner;
import io.tributary.broker.ReplicaManager;
import io.tributary.broker.TopicService;
import io.tributary.coordination.ClusterMetadataStore;
import io.tributary.config.GroupConfig;
import io.tributary.group.GroupCoordinator;
import io.tributary.group.OffsetsTopic;
import io.tributary.metadata.TopicMetadata;
import io.tributary.testing.SingleBrokerStack;
import io.tributary.testing.SingleBrokerStack.ReplicaUpdates;
import io.tributary.testing.SingleBrokerStack.TopicCreation;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.SendBuilder;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Every advertised API at every advertised version, against a real broker stack (embedded
 * ZooKeeper, log manager, replica manager) without a container: each request parses, each answer
 * serialises at the request's version (no field the version cannot carry) and parses back with
 * kafka-clients, without an error. Old versions are what librdkafka 1.x and other older clients
 * speak.
 */
class EveryAdvertisedVersionTest {

    @TempDir
    static Path tmp;
    static SingleBrokerStack stack;
    static ClusterMetadataStore metadata;
    static KafkaApis apis;
    static TopicService topics;
    static GroupCoordinator groups;

    @BeforeAll
    static void start() throws Exception {
        stack = SingleBrokerStack.start(tmp, "localhost", TopicCreation.AUTO_CREATE, ReplicaUpdates.FOLLOW_METADATA);
        metadata = stack.metadata();
        topics = stack.topics();
        ReplicaManager replicas = stack.replicas();
        ScheduledExecutorService scheduler = stack.scheduler();
        ExecutorService executor = stack.executor();
        new io.tributary.broker.RecordService(topics, replicas, new Partitioner(), Clock.systemUTC());
        groups = new GroupCoordinator(new GroupConfig(3, 1 << 20, 1, 1_800_000, 0, 4_096),
                new OffsetsTopic(topics, replicas, 3, 1 << 20, Clock.systemUTC()), scheduler, Clock.systemUTC());
        groups.start();
        BrokerContext context = new BrokerContext(stack.self(), metadata.clusterId(), "PLAINTEXT", metadata, replicas,
                topics, true, executor, scheduler, Clock.systemUTC(), List.of(new TopicService.ConfigEntry("broker.id",
                "0", false, TopicService.Source.STATIC_BROKER_CONFIG, true, false)), groups);
        apis = KafkaProtocol.apis(context);
        topics.create("t", Optional.of(2), Optional.empty(), Map.of());
    }

    @AfterAll
    static void stop() {
        groups.close();
        stack.close();
    }

    private static MemoryRecords batch() {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(1024), RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.NONE, TimestampType.CREATE_TIME, 0L);
        b.append(System.currentTimeMillis(), null, "v".getBytes(StandardCharsets.UTF_8));
        return b.build();
    }

    /** A representative request of each API, using only what the version has. */
    private static ApiMessage request(ApiKeys api, short v, String unique) {
        Uuid topicId = metadata.topic("t").map(TopicMetadata::topicId).orElseThrow();
        return switch (api) {
            case API_VERSIONS -> new ApiVersionsRequestData().setClientSoftwareName(v >= 3 ? "test" : "")
                    .setClientSoftwareVersion(v >= 3 ? "1" : "");
            case METADATA -> new MetadataRequestData().setTopics(List.of(new MetadataRequestData.MetadataRequestTopic()
                    .setName("t")));
            case PRODUCE -> {
                var t = new ProduceRequestData.TopicProduceData().setPartitionData(List.of(
                        new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(batch())));
                if (v >= 13) {
                    t.setTopicId(topicId);
                } else {
                    t.setName("t");
                }
                yield new ProduceRequestData().setAcks((short) 1).setTimeoutMs(5_000)
                        .setTopicData(new ProduceRequestData.TopicProduceDataCollection(List.of(t).iterator()));
            }
            case FETCH -> {
                var t = new FetchRequestData.FetchTopic().setPartitions(List.of(new FetchRequestData.FetchPartition()
                        .setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1 << 20)));
                if (v >= 13) {
                    t.setTopicId(topicId);
                } else {
                    t.setTopic("t");
                }
                yield new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(1)
                        .setMaxBytes(1 << 20).setTopics(List.of(t));
            }
            case LIST_OFFSETS -> new ListOffsetsRequestData().setReplicaId(-1).setTopics(List.of(
                    new ListOffsetsRequestData.ListOffsetsTopic().setName("t").setPartitions(List.of(
                            new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-1)))));
            case OFFSET_FOR_LEADER_EPOCH -> {
                var topicsToAsk = new org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection();
                topicsToAsk.add(new org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic()
                        .setTopic("t").setPartitions(List.of(
                                new org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition()
                                        .setPartition(0).setCurrentLeaderEpoch(v >= 2 ? 0 : -1).setLeaderEpoch(0))));
                yield new org.apache.kafka.common.message.OffsetForLeaderEpochRequestData().setReplicaId(-1)
                        .setTopics(topicsToAsk);
            }
            case CREATE_TOPICS -> new CreateTopicsRequestData().setTimeoutMs(5_000).setTopics(
                    new CreateTopicsRequestData.CreatableTopicCollection(List.of(new CreateTopicsRequestData.CreatableTopic()
                            .setName("created-" + unique).setNumPartitions(1).setReplicationFactor((short) 1)).iterator()));
            case DELETE_TOPICS -> {
                topics.create("deleted-" + unique, Optional.of(1), Optional.empty(), Map.of());
                DeleteTopicsRequestData d = new DeleteTopicsRequestData().setTimeoutMs(5_000);
                yield v >= 6 ? d.setTopics(List.of(new DeleteTopicsRequestData.DeleteTopicState().setName("deleted-" + unique)))
                        : d.setTopicNames(List.of("deleted-" + unique));
            }
            case CREATE_PARTITIONS -> {
                topics.create("grown-" + unique, Optional.of(1), Optional.empty(), Map.of());
                yield new CreatePartitionsRequestData().setTimeoutMs(5_000).setTopics(
                        new CreatePartitionsRequestData.CreatePartitionsTopicCollection(List.of(
                                new CreatePartitionsRequestData.CreatePartitionsTopic().setName("grown-" + unique)
                                        .setCount(2).setAssignments(null)).iterator()));
            }
            case DELETE_RECORDS -> new org.apache.kafka.common.message.DeleteRecordsRequestData().setTimeoutMs(5_000)
                    .setTopics(List.of(new org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsTopic()
                            .setName("t").setPartitions(List.of(
                                    new org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition()
                                            .setPartitionIndex(0).setOffset(-1)))));
            case DESCRIBE_CONFIGS -> new DescribeConfigsRequestData().setResources(List.of(
                    new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType((byte) 2).setResourceName("t"),
                    new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType((byte) 4).setResourceName("0")));
            case INCREMENTAL_ALTER_CONFIGS -> new IncrementalAlterConfigsRequestData().setResources(
                    new IncrementalAlterConfigsRequestData.AlterConfigsResourceCollection(List.of(
                            new IncrementalAlterConfigsRequestData.AlterConfigsResource().setResourceType((byte) 2)
                                    .setResourceName("t").setConfigs(new IncrementalAlterConfigsRequestData.AlterableConfigCollection(
                                            List.of(new IncrementalAlterConfigsRequestData.AlterableConfig().setName("retention.ms")
                                                    .setConfigOperation((byte) 0).setValue("3600000")).iterator()))).iterator()));
            case DESCRIBE_CLUSTER -> new DescribeClusterRequestData();
            case INIT_PRODUCER_ID -> new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(60_000);
            case FIND_COORDINATOR -> v >= 4
                    ? new FindCoordinatorRequestData().setKeyType((byte) 0).setCoordinatorKeys(List.of("g-" + unique))
                    : new FindCoordinatorRequestData().setKey("g-" + unique).setKeyType((byte) 0);
            case JOIN_GROUP -> {
                String memberId = "";
                if (v >= 4) {
                    // Since v4 a first join only gets a member id back; join again with it.
                    memberId = groups.join(join("join-" + unique, "", true)).toCompletableFuture().join().memberId();
                }
                yield new JoinGroupRequestData().setGroupId("join-" + unique).setMemberId(memberId)
                        .setSessionTimeoutMs(10_000).setRebalanceTimeoutMs(10_000).setProtocolType("consumer")
                        .setProtocols(new JoinGroupRequestData.JoinGroupRequestProtocolCollection(List.of(
                                new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range")
                                        .setMetadata(new byte[] {1})).iterator()));
            }
            case SYNC_GROUP -> {
                GroupCoordinator.JoinResult joined = joined("sync-" + unique);
                yield new SyncGroupRequestData().setGroupId("sync-" + unique).setGenerationId(joined.generationId())
                        .setMemberId(joined.memberId()).setProtocolType(v >= 5 ? "consumer" : null)
                        .setProtocolName(v >= 5 ? "range" : null)
                        .setAssignments(List.of(new SyncGroupRequestData.SyncGroupRequestAssignment()
                                .setMemberId(joined.memberId()).setAssignment(new byte[] {2})));
            }
            case HEARTBEAT -> {
                GroupCoordinator.JoinResult joined = joined("heartbeat-" + unique);
                groups.sync(new GroupCoordinator.SyncRequest("heartbeat-" + unique, joined.generationId(), joined.memberId(),
                        null, null, null, Map.of())).toCompletableFuture().join();
                yield new HeartbeatRequestData().setGroupId("heartbeat-" + unique).setGenerationId(joined.generationId())
                        .setMemberId(joined.memberId());
            }
            case LEAVE_GROUP -> {
                GroupCoordinator.JoinResult joined = joined("leave-" + unique);
                LeaveGroupRequestData d = new LeaveGroupRequestData().setGroupId("leave-" + unique);
                yield v >= 3 ? d.setMembers(List.of(new LeaveGroupRequestData.MemberIdentity().setMemberId(joined.memberId())))
                        : d.setMemberId(joined.memberId());
            }
            case OFFSET_COMMIT -> {
                var t = new OffsetCommitRequestData.OffsetCommitRequestTopic().setPartitions(List.of(
                        new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0).setCommittedOffset(1)));
                if (v >= 10) {
                    t.setTopicId(topicId);
                } else {
                    t.setName("t");
                }
                yield new OffsetCommitRequestData().setGroupId("commit-" + unique).setGenerationIdOrMemberEpoch(-1)
                        .setMemberId("").setTopics(List.of(t));
            }
            case OFFSET_FETCH -> {
                if (v < 8) {
                    yield new OffsetFetchRequestData().setGroupId("fetch-" + unique).setTopics(List.of(
                            new OffsetFetchRequestData.OffsetFetchRequestTopic().setName("t").setPartitionIndexes(List.of(0))));
                }
                var t = new OffsetFetchRequestData.OffsetFetchRequestTopics().setPartitionIndexes(List.of(0));
                if (v >= 10) {
                    t.setTopicId(topicId);
                } else {
                    t.setName("t");
                }
                yield new OffsetFetchRequestData().setGroups(List.of(new OffsetFetchRequestData.OffsetFetchRequestGroup()
                        .setGroupId("fetch-" + unique).setTopics(List.of(t))));
            }
            case LIST_GROUPS -> new ListGroupsRequestData();
            case DESCRIBE_GROUPS -> {
                commit("described-" + unique);
                yield new DescribeGroupsRequestData().setGroups(List.of("described-" + unique));
            }
            case DELETE_GROUPS -> {
                commit("deleted-" + unique);
                yield new DeleteGroupsRequestData().setGroupsNames(List.of("deleted-" + unique));
            }
            case DESCRIBE_ACLS -> new org.apache.kafka.common.message.DescribeAclsRequestData().setResourceTypeFilter((byte) 1)
                    .setPatternTypeFilter((byte) 1).setOperation((byte) 1).setPermissionType((byte) 1);
            case CREATE_ACLS -> new org.apache.kafka.common.message.CreateAclsRequestData().setCreations(List.of(
                    new org.apache.kafka.common.message.CreateAclsRequestData.AclCreation().setResourceType((byte) 2)
                            .setResourceName("t").setResourcePatternType((byte) 3).setPrincipal("User:a").setHost("*")
                            .setOperation((byte) 3).setPermissionType((byte) 3)));
            case DELETE_ACLS -> new org.apache.kafka.common.message.DeleteAclsRequestData().setFilters(List.of(
                    new org.apache.kafka.common.message.DeleteAclsRequestData.DeleteAclsFilter().setResourceTypeFilter((byte) 2)
                            .setResourceNameFilter("t").setPatternTypeFilter((byte) 3).setOperation((byte) 1)
                            .setPermissionType((byte) 1)));
            default -> throw new AssertionError("no sample request for " + api);
        };
    }

    private static GroupCoordinator.JoinRequest join(String group, String memberId, boolean requireKnownMemberId) {
        return new GroupCoordinator.JoinRequest(group, memberId, null, "test", "/127.0.0.1", 10_000, 10_000, "consumer",
                List.of(new GroupCoordinator.Protocol("range", new byte[] {1})), requireKnownMemberId);
    }

    /** A group with one member that has joined (the rebalance completes at once: no initial delay here). */
    private static GroupCoordinator.JoinResult joined(String group) {
        return groups.join(join(group, "", false)).toCompletableFuture().join();
    }

    private static void commit(String group) {
        groups.commitOffsets(group, "", null, -1, Map.of(new org.apache.kafka.common.TopicPartition("t", 0),
                new io.tributary.group.CommittedOffset(1, -1, "", 0)));
    }

    @Test
    void everyApiAnswersAtEveryAdvertisedVersion() throws Exception {
        List<String> checked = new ArrayList<>();
        for (Map.Entry<ApiKeys, short[]> e : apis.supportedVersions().entrySet()) {
            ApiKeys api = e.getKey();
            for (short v = e.getValue()[0]; v <= e.getValue()[1]; v++) {
                String what = api + " v" + v;
                RequestHeader header = new RequestHeader(api, v, "test", 7);
                ByteBuffer frame = serialize(SendBuilder.buildRequestSend(header, request(api, v, api.id + "-" + v)));
                RequestHandler.Response response = apis.handle(new RequestHandler.Request("c", InetAddress.getLoopbackAddress(),
                        frame)).toCompletableFuture().join();
                assertFalse(response.close(), what + " closed the connection: " + response.reason());
                assertNotNull(response.send(), what + " has an answer");
                AbstractResponse parsed = AbstractResponse.parseResponse(serialize(response.send()), header);
                Map<Errors, Integer> errors = new java.util.HashMap<>(parsed.errorCounts());
                errors.remove(Errors.NONE);
                assertEquals(expectedErrors(api), errors, what + ": " + parsed);
                checked.add(what);
            }
        }
        System.out.println("Checked " + checked.size() + " API versions");
    }

    /** The errors an API answers with by design: the ACL APIs of a broker without an authorizer. */
    private static Map<Errors, Integer> expectedErrors(ApiKeys api) {
        return switch (api) {
            case DESCRIBE_ACLS, CREATE_ACLS, DELETE_ACLS -> Map.of(Errors.SECURITY_DISABLED, 1);
            default -> Map.of();
        };
    }

    /** What a Send writes, without its size prefix. */
    private static ByteBuffer serialize(Send send) throws IOException {
        return Sends.serialize(send);
    }
}
