package io.tributary.broker.subscription;

import io.tributary.storage.ReadableLog;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Routes high-watermark advances of partition logs to the sessions subscribed to them. It listens
 * to a log only while some session follows it, so a deleted topic's log is let go with its last
 * subscriber.
 *
 * <p>{@link #onHighWatermark} runs on the appending thread (a produce request): it only marks
 * sessions ready ({@link SubscriptionSession#wake()}, which schedules at most one delivery task per
 * session and never does I/O), so a producer never waits for a subscriber.
 *
 * <p>Thread-safe: watch and unwatch are atomic per log through the concurrent map's compute; logs
 * are keyed by identity (a re-created topic has a new log object).
 */
public final class PartitionWatchers implements ReadableLog.Listener {

    private final ConcurrentHashMap<ReadableLog, Set<SubscriptionSession>> sessionsByLog = new ConcurrentHashMap<>();

    void watch(ReadableLog log, SubscriptionSession session) {
        sessionsByLog.compute(log, (l, sessions) -> {
            if (sessions == null) {
                sessions = ConcurrentHashMap.newKeySet();
                l.addListener(this);
            }
            sessions.add(session);
            return sessions;
        });
    }

    void unwatch(ReadableLog log, SubscriptionSession session) {
        sessionsByLog.computeIfPresent(log, (l, sessions) -> {
            sessions.remove(session);
            if (sessions.isEmpty()) {
                l.removeListener(this);
                return null;
            }
            return sessions;
        });
    }

    @Override
    public void onHighWatermark(ReadableLog log, long highWatermark) {
        Set<SubscriptionSession> sessions = sessionsByLog.get(log);
        if (sessions != null) {
            for (SubscriptionSession s : sessions) {
                s.wake();
            }
        }
    }

    /** Logs currently listened to (for tests and diagnostics). */
    public int watchedLogs() {
        return sessionsByLog.size();
    }
}
