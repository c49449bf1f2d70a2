package io.tributary.protocol;

import io.tributary.coordination.ClusterMetadataStore;
import io.tributary.metadata.TopicMetadata;
import org.apache.kafka.common.Uuid;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Topic names by topic id, for requests that name topics by id (Produce v13, Fetch v13 and later:
 * every request of a current client). The metadata store is keyed by name, and finding an id there
 * means copying and scanning every topic, per partition of every request; this keeps the answer of
 * that scan and checks it against the store's entry for the name on each use, so a topic deleted
 * (or deleted and re-created under the same name, with a new id) is never resolved from a stale
 * entry.
 *
 * <p>Thread-safe. Holds one entry per id resolved at least once; an entry whose topic is gone is
 * dropped when it is next looked up.
 */
final class TopicIds {

    private final ConcurrentHashMap<Uuid, String> names = new ConcurrentHashMap<>();

    /** The name of the topic with this id, if such a topic exists. */
    Optional<String> name(ClusterMetadataStore metadata, Uuid topicId) {
        String cached = names.get(topicId);
        if (cached != null) {
            Optional<TopicMetadata> current = metadata.topic(cached);
            if (current.isPresent() && current.get().topicId().equals(topicId)) {
                return Optional.of(cached);
            }
            names.remove(topicId, cached);
        }
        for (TopicMetadata t : metadata.topics().values()) {
            if (t.topicId().equals(topicId)) {
                names.put(topicId, t.name());
                return Optional.of(t.name());
            }
        }
        return Optional.empty();
    }
}
