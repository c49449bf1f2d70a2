package io.tributary.protocol;

import io.tributary.broker.TopicService;
import io.tributary.broker.TopicService.ConfigEntry;
import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.Endpoint;
import io.tributary.metadata.TopicMetadata;
import io.tributary.metadata.Topics;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The administrative APIs the Admin client uses: CreateTopics, DeleteTopics, CreatePartitions,
 * DescribeConfigs and IncrementalAlterConfigs (topics, and the broker read-only), DescribeCluster.
 * Each delegates to {@link TopicService}, which writes ZooKeeper first and then the local replicas,
 * so a topic created here is usable by the client's next request. Resources succeed or fail one by
 * one, as in Kafka.
 *
 * <p>Thread-safe.
 */
final class AdminApi {

    private final BrokerContext broker;

    AdminApi(BrokerContext broker) {
        this.broker = broker;
    }

    private static short code(Throwable e) {
        return Errors.forException(e).code();
    }

    CompletionStage<RequestHandler.Response> createTopics(KafkaApis.RequestContext ctx, AbstractRequest request) {
        CreateTopicsRequestData req = ((CreateTopicsRequest) request).data();
        CreateTopicsResponseData out = new CreateTopicsResponseData();
        for (CreateTopicsRequestData.CreatableTopic t : req.topics()) {
            CreateTopicsResponseData.CreatableTopicResult result = new CreateTopicsResponseData.CreatableTopicResult()
                    .setName(t.name()).setNumPartitions(-1).setReplicationFactor((short) -1);
            out.topics().add(result);
            try {
                if (!t.assignments().isEmpty()) {
                    throw new InvalidReplicaAssignmentException("Manual replica assignment is not supported; "
                            + "give a partition count and replication factor");
                }
                Map<String, String> configs = new LinkedHashMap<>();
                for (CreateTopicsRequestData.CreatableTopicConfig c : t.configs()) {
                    configs.put(c.name(), c.value());
                }
                Optional<Integer> partitions = t.numPartitions() == -1 ? Optional.empty() : Optional.of(t.numPartitions());
                Optional<Short> rf = t.replicationFactor() == -1 ? Optional.empty() : Optional.of(t.replicationFactor());
                if (req.validateOnly()) {
                    Topics.validateName(t.name());
                    if (broker.metadata().topic(t.name()).isPresent()) {
                        throw new TopicExistsException("Topic '" + t.name() + "' already exists.");
                    }
                    if (partitions.isPresent() && partitions.get() < 1) {
                        throw new InvalidPartitionsException("Number of partitions must be at least 1.");
                    }
                    if (ctx.version() >= 5) {
                        result.setNumPartitions(partitions.orElse(-1)).setReplicationFactor(rf.orElse((short) -1));
                    }
                    continue;
                }
                TopicMetadata created = broker.topics().create(t.name(), partitions, rf, configs);
                if (ctx.version() < 5) {
                    // Partition counts, factors and configs in the answer are v5 fields.
                    continue;
                }
                result.setTopicId(ctx.version() >= 7 ? created.topicId() : Uuid.ZERO_UUID)
                        .setNumPartitions(created.partitionCount())
                        .setReplicationFactor((short) created.replicas(0).size());
                for (ConfigEntry e : broker.topics().configs(t.name())) {
                    result.configs().add(new CreateTopicsResponseData.CreatableTopicConfigs()
                            .setName(e.name()).setValue(e.value()).setReadOnly(e.readOnly())
                            .setConfigSource(source(e.source()).id()).setIsSensitive(e.sensitive()));
                }
            } catch (ApiException e) {
                result.setErrorCode(code(e)).setErrorMessage(e.getMessage());
            }
        }
        return ctx.respondNow(out);
    }

    CompletionStage<RequestHandler.Response> deleteTopics(KafkaApis.RequestContext ctx, AbstractRequest request) {
        DeleteTopicsRequestData req = ((DeleteTopicsRequest) request).data();
        DeleteTopicsResponseData out = new DeleteTopicsResponseData();
        List<DeleteTopicsRequestData.DeleteTopicState> targets = new ArrayList<>(req.topics());
        for (String name : req.topicNames()) {
            targets.add(new DeleteTopicsRequestData.DeleteTopicState().setName(name).setTopicId(Uuid.ZERO_UUID));
        }
        for (DeleteTopicsRequestData.DeleteTopicState t : targets) {
            DeleteTopicsResponseData.DeletableTopicResult result = new DeleteTopicsResponseData.DeletableTopicResult()
                    .setName(t.name()).setTopicId(t.topicId() == null ? Uuid.ZERO_UUID : t.topicId());
            out.responses().add(result);
            try {
                String name = broker.resolveTopic(t.name(), t.topicId());
                TopicMetadata topic = broker.topics().describeOrThrow(name);
                broker.topics().delete(name);
                result.setName(name).setTopicId(ctx.version() >= 6 ? topic.topicId() : Uuid.ZERO_UUID);
            } catch (ApiException e) {
                result.setErrorCode(code(e)).setErrorMessage(e.getMessage());
            }
        }
        return ctx.respondNow(out);
    }

    CompletionStage<RequestHandler.Response> createPartitions(KafkaApis.RequestContext ctx, AbstractRequest request) {
        CreatePartitionsRequestData req = ((CreatePartitionsRequest) request).data();
        CreatePartitionsResponseData out = new CreatePartitionsResponseData();
        for (CreatePartitionsRequestData.CreatePartitionsTopic t : req.topics()) {
            CreatePartitionsResponseData.CreatePartitionsTopicResult result =
                    new CreatePartitionsResponseData.CreatePartitionsTopicResult().setName(t.name());
            out.results().add(result);
            try {
                if (t.assignments() != null && !t.assignments().isEmpty()) {
                    throw new InvalidReplicaAssignmentException("Manual replica assignment is not supported");
                }
                if (req.validateOnly()) {
                    TopicMetadata topic = broker.topics().describeOrThrow(t.name());
                    if (t.count() <= topic.partitionCount()) {
                        throw new InvalidPartitionsException("Topic '" + t.name() + "' has " + topic.partitionCount()
                                + " partitions; the new count must be larger, got " + t.count() + ".");
                    }
                    continue;
                }
                broker.topics().createPartitions(t.name(), t.count());
            } catch (ApiException e) {
                result.setErrorCode(code(e)).setErrorMessage(e.getMessage());
            }
        }
        return ctx.respondNow(out);
    }

    /**
     * DeleteRecords: moves each partition's log start offset to the given offset ({@code -1}: the high
     * watermark); answers the new low watermark or the partition's error (OFFSET_OUT_OF_RANGE past the
     * high watermark, UNKNOWN_TOPIC_OR_PARTITION).
     */
    CompletionStage<RequestHandler.Response> deleteRecords(KafkaApis.RequestContext ctx, AbstractRequest request) {
        DeleteRecordsRequestData req = ((DeleteRecordsRequest) request).data();
        DeleteRecordsResponseData out = new DeleteRecordsResponseData();
        for (DeleteRecordsRequestData.DeleteRecordsTopic t : req.topics()) {
            DeleteRecordsResponseData.DeleteRecordsTopicResult topicResult =
                    new DeleteRecordsResponseData.DeleteRecordsTopicResult().setName(t.name());
            out.topics().add(topicResult);
            for (DeleteRecordsRequestData.DeleteRecordsPartition p : t.partitions()) {
                DeleteRecordsResponseData.DeleteRecordsPartitionResult result =
                        new DeleteRecordsResponseData.DeleteRecordsPartitionResult()
                                .setPartitionIndex(p.partitionIndex()).setLowWatermark(-1);
                topicResult.partitions().add(result);
                try {
                    TopicPartition tp = new TopicPartition(t.name(), p.partitionIndex());
                    long offset = p.offset() == -1
                            ? broker.replicas().partitionOrThrow(tp).log().highWatermark() : p.offset();
                    result.setLowWatermark(broker.replicas().deleteRecordsBefore(tp, offset));
                } catch (ApiException e) {
                    result.setErrorCode(code(e));
                }
            }
        }
        return ctx.respondNow(out);
    }

    CompletionStage<RequestHandler.Response> describeConfigs(KafkaApis.RequestContext ctx, AbstractRequest request) {
        DescribeConfigsRequestData req = ((DescribeConfigsRequest) request).data();
        DescribeConfigsResponseData out = new DescribeConfigsResponseData();
        for (DescribeConfigsRequestData.DescribeConfigsResource r : req.resources()) {
            DescribeConfigsResponseData.DescribeConfigsResult result = new DescribeConfigsResponseData.DescribeConfigsResult()
                    .setResourceType(r.resourceType()).setResourceName(r.resourceName());
            out.results().add(result);
            try {
                List<ConfigEntry> entries = switch (ConfigResource.Type.forId(r.resourceType())) {
                    case TOPIC -> broker.topics().configs(r.resourceName());
                    case BROKER -> {
                        checkThisBroker(r.resourceName());
                        yield broker.brokerConfigs();
                    }
                    default -> throw new InvalidRequestException("Config resource type "
                            + ConfigResource.Type.forId(r.resourceType()) + " is not supported");
                };
                for (ConfigEntry e : entries) {
                    if (r.configurationKeys() != null && !r.configurationKeys().contains(e.name())) {
                        continue;
                    }
                    DescribeConfigsResponseData.DescribeConfigsResourceResult entry =
                            new DescribeConfigsResponseData.DescribeConfigsResourceResult()
                                    .setName(e.name()).setValue(e.sensitive() ? null : e.value())
                                    .setReadOnly(e.readOnly()).setConfigSource(source(e.source()).id())
                                    .setIsSensitive(e.sensitive());
                    if (req.includeSynonyms()) {
                        entry.synonyms().add(new DescribeConfigsResponseData.DescribeConfigsSynonym()
                                .setName(e.name()).setValue(e.value()).setSource(source(e.source()).id()));
                    }
                    result.configs().add(entry);
                }
            } catch (ApiException e) {
                result.setErrorCode(code(e)).setErrorMessage(e.getMessage());
            } catch (IllegalArgumentException e) {
                result.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage(e.getMessage());
            }
        }
        return ctx.respondNow(out);
    }

    CompletionStage<RequestHandler.Response> incrementalAlterConfigs(KafkaApis.RequestContext ctx, AbstractRequest request) {
        IncrementalAlterConfigsRequestData req = ((IncrementalAlterConfigsRequest) request).data();
        IncrementalAlterConfigsResponseData out = new IncrementalAlterConfigsResponseData();
        for (IncrementalAlterConfigsRequestData.AlterConfigsResource r : req.resources()) {
            IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse result =
                    new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse()
                            .setResourceType(r.resourceType()).setResourceName(r.resourceName());
            out.responses().add(result);
            try {
                switch (ConfigResource.Type.forId(r.resourceType())) {
                    case TOPIC -> alterTopic(r, req.validateOnly());
                    case BROKER -> {
                        checkThisBroker(r.resourceName());
                        throw new InvalidConfigurationException("Broker settings are static in Tributary: set them "
                                + "in bootstrap.properties, server.env or as system properties and restart");
                    }
                    default -> throw new InvalidRequestException("Config resource type "
                            + ConfigResource.Type.forId(r.resourceType()) + " is not supported");
                }
            } catch (ApiException e) {
                result.setErrorCode(code(e)).setErrorMessage(e.getMessage());
            }
        }
        return ctx.respondNow(out);
    }

    private void alterTopic(IncrementalAlterConfigsRequestData.AlterConfigsResource r, boolean validateOnly) {
        TopicMetadata topic = broker.topics().describeOrThrow(r.resourceName());
        Map<String, String> effective = new HashMap<>();
        for (ConfigEntry e : broker.topics().configs(topic.name())) {
            effective.put(e.name(), e.value());
        }
        Map<String, Optional<String>> changes = new LinkedHashMap<>();
        for (IncrementalAlterConfigsRequestData.AlterableConfig c : r.configs()) {
            if (changes.containsKey(c.name())) {
                throw new InvalidRequestException("Config " + c.name() + " is altered more than once");
            }
            switch (c.configOperation()) {
                case 0 -> changes.put(c.name(), Optional.ofNullable(c.value()));
                case 1 -> changes.put(c.name(), Optional.empty());
                case 2, 3 -> {
                    List<String> items = new ArrayList<>();
                    String current = effective.getOrDefault(c.name(), "");
                    for (String s : current.split(",")) {
                        if (!s.isBlank()) {
                            items.add(s.trim());
                        }
                    }
                    for (String v : String.valueOf(c.value()).split(",")) {
                        String item = v.trim();
                        if (c.configOperation() == 2 && !items.contains(item)) {
                            items.add(item);
                        } else if (c.configOperation() == 3) {
                            items.remove(item);
                        }
                    }
                    changes.put(c.name(), items.isEmpty() ? Optional.empty() : Optional.of(String.join(",", items)));
                }
                default -> throw new InvalidRequestException("Unknown config operation " + c.configOperation());
            }
        }
        if (validateOnly) {
            Map<String, String> next = new HashMap<>(topic.configs());
            changes.forEach((k, v) -> v.ifPresentOrElse(value -> next.put(k, value), () -> next.remove(k)));
            io.tributary.storage.LogConfig.defaults().withOverrides(next);
            return;
        }
        broker.topics().alterConfigs(topic.name(), changes);
    }

    private void checkThisBroker(String resourceName) {
        if (resourceName != null && !resourceName.isEmpty() && !resourceName.equals(Integer.toString(broker.brokerId()))) {
            throw new InvalidRequestException("Broker " + resourceName + " is not this broker (" + broker.brokerId()
                    + "); ask it directly");
        }
    }

    CompletionStage<RequestHandler.Response> describeCluster(KafkaApis.RequestContext ctx, AbstractRequest request) {
        DescribeClusterResponseData out = new DescribeClusterResponseData()
                .setClusterId(broker.clusterId())
                .setControllerId(broker.controllerId())
                .setEndpointType((byte) 1);
        for (BrokerInfo b : broker.liveBrokers()) {
            Endpoint e = b.endpoint(broker.listenerName()).orElseThrow();
            out.brokers().add(new DescribeClusterResponseData.DescribeClusterBroker()
                    .setBrokerId(b.id()).setHost(e.host()).setPort(e.port()).setRack(b.rack().orElse(null)));
        }
        return ctx.respondNow(out);
    }

    static DescribeConfigsResponse.ConfigSource source(TopicService.Source source) {
        return switch (source) {
            case DYNAMIC_TOPIC_CONFIG -> DescribeConfigsResponse.ConfigSource.TOPIC_CONFIG;
            case STATIC_BROKER_CONFIG -> DescribeConfigsResponse.ConfigSource.STATIC_BROKER_CONFIG;
            case DEFAULT_CONFIG -> DescribeConfigsResponse.ConfigSource.DEFAULT_CONFIG;
        };
    }
}
