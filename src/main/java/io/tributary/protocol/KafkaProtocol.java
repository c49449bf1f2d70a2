package io.tributary.protocol;

import org.apache.kafka.common.protocol.ApiKeys;

/**
 * Assembles the request dispatcher of a running broker: every API Tributary implements, with the
 * versions it advertises.
 *
 * <p>Stateless and thread-safe.
 */
public final class KafkaProtocol {

    private KafkaProtocol() {
    }

    public static KafkaApis apis(BrokerContext broker) {
        FetchApi fetch = new FetchApi(broker);
        AdminApi admin = new AdminApi(broker);
        GroupApi groups = new GroupApi(broker, broker.groups());
        AclApi acls = new AclApi();
        return new KafkaApis()
                .register(ApiKeys.METADATA, 0, 13, new MetadataApi(broker))
                .register(ApiKeys.PRODUCE, 3, 13, new ProduceApi(broker))
                .register(ApiKeys.FETCH, 4, 18, fetch)
                .register(ApiKeys.LIST_OFFSETS, 1, 11, new ListOffsetsApi(broker))
                .register(ApiKeys.OFFSET_FOR_LEADER_EPOCH, 2, 4, new OffsetsForLeaderEpochApi(broker))
                .register(ApiKeys.CREATE_TOPICS, 2, 7, admin::createTopics)
                .register(ApiKeys.DELETE_TOPICS, 1, 6, admin::deleteTopics)
                .register(ApiKeys.CREATE_PARTITIONS, 0, 3, admin::createPartitions)
                .register(ApiKeys.DELETE_RECORDS, 0, 2, admin::deleteRecords)
                .register(ApiKeys.DESCRIBE_CONFIGS, 1, 4, admin::describeConfigs)
                .register(ApiKeys.INCREMENTAL_ALTER_CONFIGS, 0, 1, admin::incrementalAlterConfigs)
                .register(ApiKeys.DESCRIBE_CLUSTER, 0, 2, admin::describeCluster)
                .register(ApiKeys.DESCRIBE_ACLS, 1, 3, acls)
                .register(ApiKeys.CREATE_ACLS, 1, 3, acls)
                .register(ApiKeys.DELETE_ACLS, 1, 3, acls)
                .register(ApiKeys.FIND_COORDINATOR, 0, 6, groups::findCoordinator)
                .register(ApiKeys.JOIN_GROUP, 0, 9, groups::joinGroup)
                .register(ApiKeys.SYNC_GROUP, 0, 5, groups::syncGroup)
                .register(ApiKeys.HEARTBEAT, 0, 4, groups::heartbeat)
                .register(ApiKeys.LEAVE_GROUP, 0, 5, groups::leaveGroup)
                .register(ApiKeys.OFFSET_COMMIT, 2, 10, groups::offsetCommit)
                .register(ApiKeys.OFFSET_FETCH, 1, 10, groups::offsetFetch)
                .register(ApiKeys.LIST_GROUPS, 0, 5, groups::listGroups)
                .register(ApiKeys.DESCRIBE_GROUPS, 0, 6, groups::describeGroups)
                .register(ApiKeys.DELETE_GROUPS, 0, 3, groups::deleteGroups)
                .register(ApiKeys.INIT_PRODUCER_ID, 0, 5,
                        new InitProducerIdApi(new ProducerIdManager(broker.metadata(), broker.brokerId())));
    }
}
