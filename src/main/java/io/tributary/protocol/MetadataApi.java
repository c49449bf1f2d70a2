package io.tributary.protocol;

import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.Endpoint;
import io.tributary.metadata.PartitionState;
import io.tributary.metadata.TopicMetadata;
import io.tributary.metadata.Topics;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.MetadataRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Metadata: the live brokers on this listener, the cluster id and controller, and topics with
 * their partitions, leaders and replicas. A requested topic that does not exist is created with
 * the broker's defaults when auto-creation is on and the client allows it (always before v4).
 *
 * <p>Thread-safe.
 */
final class MetadataApi implements KafkaApis.ApiHandler {

    private final BrokerContext broker;

    MetadataApi(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public CompletionStage<RequestHandler.Response> handle(KafkaApis.RequestContext ctx, AbstractRequest request) {
        MetadataRequestData req = ((MetadataRequest) request).data();
        short version = ctx.version();
        MetadataResponseData out = new MetadataResponseData()
                .setClusterId(broker.clusterId())
                .setControllerId(broker.controllerId());
        for (BrokerInfo b : broker.liveBrokers()) {
            Endpoint e = b.endpoint(broker.listenerName()).orElseThrow();
            out.brokers().add(new MetadataResponseData.MetadataResponseBroker()
                    .setNodeId(b.id()).setHost(e.host()).setPort(e.port()).setRack(b.rack().orElse(null)));
        }

        Map<String, TopicMetadata> all = broker.metadata().topics();
        boolean allTopics = req.topics() == null || (version == 0 && req.topics().isEmpty());
        if (allTopics) {
            all.values().stream().sorted((a, b) -> a.name().compareTo(b.name()))
                    .forEach(t -> out.topics().add(describe(t, version)));
        } else {
            boolean allowAutoCreate = version < 4 || req.allowAutoTopicCreation();
            for (MetadataRequestData.MetadataRequestTopic t : req.topics()) {
                out.topics().add(describe(t.name(), t.topicId(), allowAutoCreate, version));
            }
        }
        return ctx.respondNow(out);
    }

    private MetadataResponseData.MetadataResponseTopic describe(String name, Uuid topicId, boolean allowAutoCreate,
                                                                short version) {
        MetadataResponseData.MetadataResponseTopic topic = new MetadataResponseData.MetadataResponseTopic()
                .setName(name).setTopicId(topicId == null || version < 10 ? Uuid.ZERO_UUID : topicId);
        try {
            if (name == null) {
                Optional<String> byId = broker.topicName(topicId);
                if (byId.isEmpty()) {
                    return topic.setErrorCode(Errors.UNKNOWN_TOPIC_ID.code());
                }
                name = byId.get();
            }
            Optional<TopicMetadata> found = broker.metadata().topic(name);
            if (found.isPresent()) {
                return describe(found.get(), version);
            }
            Topics.validateName(name);
            if (!allowAutoCreate || !broker.autoCreate()) {
                return topic.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
            }
            return describe(broker.topics().getOrAutoCreate(name), version);
        } catch (ApiException e) {
            return topic.setErrorCode(Errors.forException(e).code());
        }
    }

    /** Fields newer than the request's version stay at their defaults: the wire format cannot carry them. */
    MetadataResponseData.MetadataResponseTopic describe(TopicMetadata t, short version) {
        MetadataResponseData.MetadataResponseTopic topic = new MetadataResponseData.MetadataResponseTopic()
                .setName(t.name()).setTopicId(version >= 10 ? t.topicId() : Uuid.ZERO_UUID).setIsInternal(io.tributary.metadata.Topics.isInternal(t.name()));
        List<Integer> live = broker.liveBrokers().stream().map(BrokerInfo::id).toList();
        for (Map.Entry<Integer, List<Integer>> p : t.assignment().entrySet()) {
            PartitionState state = broker.partitionState(new TopicPartition(t.name(), p.getKey()), p.getValue());
            List<Integer> offline = new ArrayList<>();
            for (int r : p.getValue()) {
                if (!live.contains(r)) {
                    offline.add(r);
                }
            }
            boolean leaderLive = state.leader() >= 0 && live.contains(state.leader());
            topic.partitions().add(new MetadataResponseData.MetadataResponsePartition()
                    .setPartitionIndex(p.getKey())
                    .setErrorCode(leaderLive ? Errors.NONE.code() : Errors.LEADER_NOT_AVAILABLE.code())
                    .setLeaderId(leaderLive ? state.leader() : -1)
                    .setLeaderEpoch(version >= 7 ? state.leaderEpoch() : -1)
                    .setReplicaNodes(p.getValue())
                    .setIsrNodes(state.isr())
                    .setOfflineReplicas(version >= 5 ? offline : List.of()));
        }
        return topic;
    }
}
