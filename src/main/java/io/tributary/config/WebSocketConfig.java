package io.tributary.config;

import java.util.Optional;
import java.util.function.Function;

/**
 * Settings of the WebSocket API ({@code /ws/v1/stream}), mapped once at start-up.
 *
 * @param defaultCreditRecords {@code ws.credit.default.records}: record credit a subscriber has before it sends
 *                             a credit frame of its own
 * @param maxCreditRecords     {@code ws.credit.max.records}: most record credit a subscriber may hold unspent;
 *                             granting more is a credit overflow
 * @param maxCreditBytes       {@code ws.credit.max.bytes}: the same for byte credit
 * @param sessionBufferBytes   {@code ws.session.buffer.bytes}: most record bytes the broker reads and encodes for
 *                             one session ahead of its socket (one record more when a record is larger)
 * @param maxPendingReplies    {@code ws.session.max.pending.replies}: answers (subscribed, produced, error) that
 *                             may wait unsent for one session before the broker closes it
 * @param sendTimeoutMs        {@code ws.send.timeout.ms}: a frame the client does not take within this time closes
 *                             the session with 4408
 */
public record WebSocketConfig(long defaultCreditRecords, long maxCreditRecords, long maxCreditBytes,
                              int sessionBufferBytes, int maxPendingReplies, long sendTimeoutMs) {

    /**
     * Reads the settings from a property lookup (MicroProfile Config in the broker, a map in tests). A bad
     * value stops start-up with a message naming the property.
     */
    public static WebSocketConfig load(Function<String, Optional<String>> source) {
        long maxRecords = longValue(source, "ws.credit.max.records", 1_000_000L, 1, Long.MAX_VALUE / 2);
        long defaultRecords = longValue(source, "ws.credit.default.records", 1_000L, 0, maxRecords);
        return new WebSocketConfig(
                defaultRecords,
                maxRecords,
                longValue(source, "ws.credit.max.bytes", 1L << 30, 1, Long.MAX_VALUE / 2),
                (int) longValue(source, "ws.session.buffer.bytes", 1L << 20, 1_024, 64L << 20),
                (int) longValue(source, "ws.session.max.pending.replies", 1_024, 1, 1_000_000),
                longValue(source, "ws.send.timeout.ms", 30_000L, 1, Long.MAX_VALUE));
    }

    private static long longValue(Function<String, Optional<String>> source, String property, long defaultValue,
                                  long min, long max) {
        return source.apply(property).map(String::trim).filter(s -> !s.isEmpty())
                .map(raw -> BrokerConfigLoader.parseLong(property, raw, min, max)).orElse(defaultValue);
    }
}
