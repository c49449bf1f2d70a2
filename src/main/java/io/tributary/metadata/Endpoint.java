package io.tributary.metadata;

import java.util.Objects;

/**
 * One listener a broker accepts connections on, as advertised in its registration.
 *
 * <p>Immutable and thread-safe.
 *
 * @param listenerName     listener name, e.g. {@code PLAINTEXT} or {@code INTERNAL}; Kafka upper-cases these
 * @param securityProtocol security protocol name, e.g. {@code PLAINTEXT}, {@code SSL}, {@code SASL_SSL}
 * @param host             advertised host name or address
 * @param port             advertised port
 */
public record Endpoint(String listenerName, String securityProtocol, String host, int port) {

    public Endpoint {
        Objects.requireNonNull(listenerName, "listenerName");
        Objects.requireNonNull(securityProtocol, "securityProtocol");
        Objects.requireNonNull(host, "host");
        if (listenerName.isEmpty()) {
            throw new IllegalArgumentException("listenerName must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /**
     * The form Kafka writes into {@code /brokers/ids/<id>}: {@code LISTENER://host:port}, with an IPv6
     * address in brackets.
     */
    public String connectionString() {
        String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        return listenerName + "://" + h + ":" + port;
    }
}
