package io.tributary.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.common.errors.KafkaStorageException;

/**
 * The single place where I/O failures are reported. The first failure in a log directory takes the
 * whole directory offline (Kafka's JBOD rule: a disk that failed once is not trusted again until a
 * restart) and tells every listener once; readiness listens here.
 *
 * <p>Thread-safe; listeners are called on the failing thread and must be cheap.
 */
public final class LogDirFailureChannel {

    private static final System.Logger LOG = System.getLogger(LogDirFailureChannel.class.getName());

    /** Told once per log dir when it goes offline. */
    @FunctionalInterface
    public interface Listener {
        void onLogDirOffline(Path logDir, String reason);
    }

    private final Map<Path, String> offlineReasons = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    public void removeListener(Listener listener) {
        listeners.remove(listener);
    }

    /**
     * Marks {@code logDir} offline (if it is not already) and returns the exception callers should throw.
     */
    public KafkaStorageException maybeAddOfflineLogDir(Path logDir, String message, IOException cause) {
        String reason = message + (cause == null ? "" : ": " + cause);
        if (offlineReasons.putIfAbsent(logDir, reason) == null) {
            LOG.log(System.Logger.Level.ERROR, "Log dir " + logDir + " is offline: " + reason, cause);
            for (Listener l : listeners) {
                try {
                    l.onLogDirOffline(logDir, reason);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "Log dir failure listener threw", e);
                }
            }
        }
        return new KafkaStorageException("Log dir " + logDir + " is offline: " + reason, cause);
    }

    public boolean isOffline(Path logDir) {
        return offlineReasons.containsKey(logDir);
    }

    public Set<Path> offlineDirs() {
        return Set.copyOf(offlineReasons.keySet());
    }

    public Optional<String> reason(Path logDir) {
        return Optional.ofNullable(offlineReasons.get(logDir));
    }

    /** Throws if {@code logDir} is offline, so nothing touches a failed disk again. */
    void ensureOnline(Path logDir) {
        String reason = offlineReasons.get(logDir);
        if (reason != null) {
            throw new KafkaStorageException("Log dir " + logDir + " is offline: " + reason);
        }
    }
}
