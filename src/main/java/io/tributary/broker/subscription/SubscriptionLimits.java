package io.tributary.broker.subscription;

/**
 * The bounds of one session.
 *
 * @param initialCreditRecords record credit before the subscriber grants any
 * @param maxCreditRecords     most unspent record credit
 * @param maxCreditBytes       most unspent byte credit
 * @param bufferBytes          most encoded record bytes held for the session ahead of its socket (at least one record)
 * @param maxPendingReplies    most answers waiting unsent
 */
public record SubscriptionLimits(long initialCreditRecords, long maxCreditRecords, long maxCreditBytes,
                                 int bufferBytes, int maxPendingReplies) {
}
