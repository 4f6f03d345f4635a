package org.gbmixed.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Map;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Heap use of this JVM while a fit runs:
 * <ul>
 *   <li>{@link #peakUsedMb()}: the sum over heap pools of their peak usage since {@link #start()} (what the heap
 *       had to hold at its fullest, garbage included: depends on how lazily the collector runs);</li>
 *   <li>{@link #liveMb()}: the largest heap occupancy right after a collection (the live set: data, engine
 *       arrays, ensembles), the honest "heap this fit needs";</li>
 *   <li>{@link #gcSeconds()}: time spent in collections since {@link #start()}.</li>
 * </ul>
 */
final class HeapWatch {
    private volatile double live;
    private long gcMs0;
    private final NotificationListener listener = (notification, handback) -> {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) return;
        GarbageCollectionNotificationInfo info =
                GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
        long used = 0;
        for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet())
            if (isHeap(e.getKey())) used += e.getValue().getUsed();
        double mb = used / 1048576.0;
        synchronized (this) { if (mb > live) live = mb; }
    };

    private static boolean isHeap(String pool) {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans())
            if (p.getName().equals(pool)) return p.getType() == MemoryType.HEAP;
        return false;
    }

    void start() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) p.resetPeakUsage();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans())
            ((NotificationEmitter) gc).addNotificationListener(listener, null, null);
        gcMs0 = gcMillis();
        live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
    }

    void stop() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            try { ((NotificationEmitter) gc).removeNotificationListener(listener); } catch (Exception ignored) { }
        }
    }

    double peakUsedMb() {
        long s = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans())
            if (p.getType() == MemoryType.HEAP) s += p.getPeakUsage().getUsed();
        return s / 1048576.0;
    }

    double liveMb() { return live; }

    double gcSeconds() { return (gcMillis() - gcMs0) / 1000.0; }

    static double maxHeapMb() { return Runtime.getRuntime().maxMemory() / 1048576.0; }

    private static long gcMillis() {
        long s = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) s += Math.max(0, gc.getCollectionTime());
        return s;
    }
}
