package io.tributary.protocol;

import org.apache.kafka.common.network.Send;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/**
 * Turns one request frame into its answer. Called on a request thread, never on a network thread;
 * an implementation may finish later (a Fetch waiting for data) by completing the stage from any
 * thread.
 *
 * <p>Implementations must be thread-safe: requests of different connections arrive concurrently.
 * Requests of one connection arrive one at a time, the next only after the previous answer.
 */
@FunctionalInterface
public interface RequestHandler {

    /**
     * One request frame, without its 4-byte size prefix.
     *
     * @param connectionId  unique per connection for the life of the listener
     * @param clientAddress the peer
     * @param frame         header and body; the handler may keep slices of it (records are not copied)
     */
    record Request(String connectionId, InetAddress clientAddress, ByteBuffer frame) {
    }

    /** The answer to a request: bytes to send, nothing (acks=0), or closing the connection. */
    record Response(Send send, boolean close, String reason) {
        public static final Response NONE = new Response(null, false, null);

        public static Response send(Send send) {
            return new Response(send, false, null);
        }

        public static Response close(String reason) {
            return new Response(null, true, reason);
        }
    }

    CompletionStage<Response> handle(Request request);
}
