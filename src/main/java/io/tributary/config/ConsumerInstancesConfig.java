package io.tributary.config;

import java.util.Optional;
import java.util.function.Function;

/**
 * Settings of the REST v2 consumer API ({@code /consumers}), named as in Confluent's REST Proxy,
 * mapped once.
 *
 * @param instanceTimeoutMs {@code consumer.instance.timeout.ms}: an instance without a request for this long is
 *                          closed (committing first with auto commit) and leaves its group
 * @param requestTimeoutMs  {@code consumer.request.timeout.ms}: how long a records request waits for records when
 *                          the instance and the request do not say
 * @param requestMaxBytes   {@code consumer.request.max.bytes}: the most record bytes one records request returns
 *                          (about: whole batches); a request's {@code max_bytes} may only lower it
 */
public record ConsumerInstancesConfig(long instanceTimeoutMs, long requestTimeoutMs, int requestMaxBytes) {

    /** Reads the settings from a property lookup; a bad value fails with a message naming the property. */
    public static ConsumerInstancesConfig load(Function<String, Optional<String>> source) {
        return new ConsumerInstancesConfig(
                longValue(source, "consumer.instance.timeout.ms", 300_000L, 1, Long.MAX_VALUE / 2),
                longValue(source, "consumer.request.timeout.ms", 1_000L, 0, 3_600_000L),
                (int) longValue(source, "consumer.request.max.bytes", 64L << 20, 1, 256L << 20));
    }

    private static long longValue(Function<String, Optional<String>> source, String property, long defaultValue,
                                  long min, long max) {
        return source.apply(property).map(String::trim).filter(s -> !s.isEmpty())
                .map(raw -> BrokerConfigLoader.parseLong(property, raw, min, max)).orElse(defaultValue);
    }
}
