package io.tributary.metadata;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a live broker advertises about itself in {@code /brokers/ids/<id>}.
 *
 * <p>Immutable and thread-safe: the collections are copied on construction.
 *
 * @param id        broker id
 * @param host      the broker's host (Kafka's top-level {@code host} field)
 * @param endpoints listeners, in the order the broker advertises them
 * @param rack      rack id, if the broker has one
 * @param extra     Tributary-specific fields, e.g. {@code "http" -> "http://host:9080"}; sorted by key
 */
public record BrokerInfo(int id, String host, List<Endpoint> endpoints, Optional<String> rack, Map<String, String> extra) {

    public BrokerInfo {
        Objects.requireNonNull(host, "host");
        if (id < 0) {
            throw new IllegalArgumentException("broker id must not be negative: " + id);
        }
        endpoints = List.copyOf(endpoints);
        rack = Objects.requireNonNull(rack, "rack");
        // A sorted, unmodifiable copy so equal registrations compare equal and print the same.
        extra = java.util.Collections.unmodifiableMap(new TreeMap<>(extra));
    }

    /** The endpoint of the named listener, if the broker has one. */
    public Optional<Endpoint> endpoint(String listenerName) {
        return endpoints.stream().filter(e -> e.listenerName().equals(listenerName)).findFirst();
    }
}
