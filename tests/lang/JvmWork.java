// A Java program using threads the way programs do: a fixed pool that it shuts down and
// awaits, and a daemon thread that it leaves waiting (the JVM abandons daemon threads at exit
// by design). With an argument it loads that native library first (System.load runs its
// JNI_OnLoad). Prints the pool's sum; with -Dtl.exit=true it then calls System.exit(0), which
// the JVM runs on its VM thread while main's thread waits.
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

public class JvmWork {
    public static void main(String[] args) throws Exception {
        if (args.length > 0)
            System.load(args[0]);
        Thread daemon = new Thread(() -> {
            Object lock = new Object();
            synchronized (lock) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                }
            }
        }, "tl-daemon");
        daemon.setDaemon(true);
        daemon.start();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<Long>> parts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            final long base = i;
            parts.add(pool.submit(() -> {
                long s = 0;
                for (long j = 0; j < 100000; j++)
                    s += (j * base) % 7;
                return s;
            }));
        }
        long sum = 0;
        for (Future<Long> f : parts)
            sum += f.get();
        pool.shutdown();
        pool.awaitTermination(30, TimeUnit.SECONDS);
        System.out.println(sum);
        if (Boolean.getBoolean("tl.exit"))
            System.exit(0);
    }
}
