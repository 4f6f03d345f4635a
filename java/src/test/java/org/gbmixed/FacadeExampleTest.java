package org.gbmixed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java example of java/FACADE.md compiles against the engine and runs, printing what it says it does. */
class FacadeExampleTest {

    @Test
    void facadeExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
        String md = Files.readString(Path.of("java", "FACADE.md"), StandardCharsets.UTF_8);
        Matcher block = Pattern.compile("```java\\n(.*?)\\n```", Pattern.DOTALL).matcher(md);
        assertTrue(block.find(), "FACADE.md has a ```java block");
        Path src = dir.resolve("FacadeExample.java");
        Files.writeString(src, block.group(1));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK compiler");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = javac.run(null, null, err, "-d", dir.toString(), "-cp", System.getProperty("java.class.path"),
                "-Xlint:all", "-Werror", src.toString());
        assertEquals(0, rc, "javac: " + err);

        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (URLClassLoader cl = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            cl.loadClass("FacadeExample").getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        String[] lines = text.split("\\R");
        assertEquals(5, lines.length, text);
        assertEquals("variant Base, 200 rounds", lines[0]);
        // the simulated truth: G = 1, sigma^2 = 0.25 (100 clusters: G within a factor of 1.6, sigma^2 within 25%)
        Matcher g = Pattern.compile("G ([0-9.]+) sigma2 ([0-9.]+)").matcher(lines[1]);
        assertTrue(g.matches(), lines[1]);
        double gHat = Double.parseDouble(g.group(1)), s2 = Double.parseDouble(g.group(2));
        assertTrue(gHat > 1 / 1.6 && gHat < 1.6, "G " + gHat);
        assertTrue(Math.abs(s2 / 0.25 - 1) < 0.25, "sigma2 " + s2);
        // the new cluster's interval is wider than the known cluster's (it adds G)
        double wKnown = width(lines[2], "cluster 0"), wNew = width(lines[3], "new cluster");
        assertTrue(wNew > wKnown * 1.5, wKnown + " vs " + wNew);
        assertEquals("read back: FacadeExample, same BLUPs: true", lines[4]);
    }

    private static double width(String line, String label) {
        Matcher m = Pattern.compile(Pattern.quote(label) + ": (-?[0-9.]+) \\[(-?[0-9.]+), (-?[0-9.]+)\\]").matcher(line);
        assertTrue(m.matches(), line);
        double fit = Double.parseDouble(m.group(1)), lo = Double.parseDouble(m.group(2)), hi = Double.parseDouble(m.group(3));
        assertTrue(lo < fit && fit < hi, line);
        return hi - lo;
    }
}
