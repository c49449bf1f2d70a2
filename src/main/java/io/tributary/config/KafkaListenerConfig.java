package io.tributary.config;

import java.util.List;

/**
 * The Kafka protocol listener: where it binds, what it tells clients, and its limits.
 *
 * @param listeners             {@code listeners}: where to bind, Kafka syntax {@code PLAINTEXT://host:port}
 *                              (an empty host binds every interface); empty turns the listener off
 * @param advertisedListeners   {@code advertised.listeners}: what clients are told to connect to; by
 *                              default the listeners with an empty host replaced by {@code advertised.host.name}
 * @param socketRequestMaxBytes {@code socket.request.max.bytes}: a larger request frame closes the connection
 * @param numNetworkThreads     {@code num.network.threads}: selector threads reading and writing sockets
 * @param connectionsMaxIdleMs  {@code connections.max.idle.ms}: idle connections are closed after this
 */
public record KafkaListenerConfig(List<Listener> listeners, List<Listener> advertisedListeners,
                                  int socketRequestMaxBytes, int numNetworkThreads, long connectionsMaxIdleMs) {

    /** One {@code NAME://host:port} entry. An empty host means every interface. */
    public record Listener(String name, String host, int port) {
        @Override
        public String toString() {
            String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
            return name + "://" + h + ":" + port;
        }
    }

    public KafkaListenerConfig {
        listeners = List.copyOf(listeners);
        advertisedListeners = List.copyOf(advertisedListeners);
    }

    public boolean enabled() {
        return !listeners.isEmpty();
    }
}
