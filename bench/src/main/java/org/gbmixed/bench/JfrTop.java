package org.gbmixed.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises the jdk.ExecutionSample events of a JFR recording (the same events `jfr print --events
 * jdk.ExecutionSample` lists): the top methods by self samples (the frame on top of the stack), and the engine
 * method each sample belongs to (the first org.gbmixed frame from the top, so JDK callees such as sorting or
 * Math.exp count for the engine method that called them). The engine's parallel work runs in ForkJoin workers
 * whose stacks start at Parallel$Range, so "inclusive" counts of the callers (Booster.round, CrossFit.boost)
 * would miss it: the owner table is the useful one.
 * Usage: JfrTop FILE.jfr [TOP]
 */
public final class JfrTop {
    public static void main(String[] a) throws Exception {
        int top = a.length > 1 ? Integer.parseInt(a[1]) : 15;
        Map<String, Integer> self = new HashMap<>(), owner = new HashMap<>(), thread = new HashMap<>();
        int total = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(a[0]))) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) continue;
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            if (frames.isEmpty()) continue;
            total++;
            self.merge(name(frames.get(0).getMethod()), 1, Integer::sum);
            String own = "(outside the engine)";
            for (RecordedFrame f : frames) {
                String m = name(f.getMethod());
                if (m.startsWith("org.gbmixed.") && !m.startsWith("org.gbmixed.bench.")) { own = m; break; }
            }
            owner.merge(own, 1, Integer::sum);
            jdk.jfr.consumer.RecordedThread th = e.getThread("sampledThread");
            String tn = th == null || th.getJavaName() == null ? "?" : th.getJavaName();
            thread.merge(tn.startsWith("ForkJoinPool") ? "engine pool workers (parallel parts)"
                    : tn.equals("main") ? "main thread (serial parts)" : "other: " + tn, 1, Integer::sum);
        }
        System.out.printf("%d execution samples%n", total);
        print("self (top frame)", self, total, top);
        print("engine method owning the sample (JDK callees included)", owner, total, top);
        print("thread", thread, total, top);
    }

    private static String name(RecordedMethod m) {
        String t = m.getType().getName();
        return t + "." + m.getName();
    }

    private static void print(String title, Map<String, Integer> c, int total, int top) {
        System.out.println("| " + title + " | samples | % |");
        System.out.println("|---|---:|---:|");
        c.entrySet().stream().sorted((x, y) -> y.getValue() - x.getValue()).limit(top).forEach(en ->
                System.out.printf("| `%s` | %d | %.1f |%n", en.getKey(), en.getValue(), 100.0 * en.getValue() / total));
        System.out.println();
    }
}
