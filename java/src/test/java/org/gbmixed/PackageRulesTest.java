package org.gbmixed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules of java/ENGINE.md, read from the engine's sources: which engine packages each package may
 * use (its imports and the fully qualified names in its code, comments left out). A new dependency that breaks
 * the layering fails here, named with its file.
 */
class PackageRulesTest {
    /** Package (relative to org.gbmixed, "" for the facade) to the packages it may use; "Config" is org.gbmixed.Config. */
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "base", Set.of(),
            "likelihood", Set.of("base"),
            "learners", Set.of("base", "likelihood", "Config"),
            "boosting", Set.of("base", "likelihood", "learners", "model", "Config"),
            "model", Set.of("base", "likelihood", "learners", "Config"),
            "", Set.of("base", "likelihood", "learners", "boosting", "model", "Config", "GBMixed"));

    private static final Path MAIN = Path.of("java/src/main/java/org/gbmixed");
    private static final Pattern REF = Pattern.compile("\\borg\\.gbmixed\\.([a-z]+\\.)?([A-Z]\\w*)");

    /** The engine packages a source file refers to (imports and fully qualified names outside comments). */
    static Set<String> uses(String source) {
        String code = source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ")
                .replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
        Set<String> out = new TreeSet<>();
        Matcher m = REF.matcher(code.replaceFirst("package [\\w.]+;", ""));
        while (m.find()) out.add(m.group(1) == null ? m.group(2) : m.group(1).substring(0, m.group(1).length() - 1));
        return out;
    }

    @Test
    void everyPackageUsesOnlyWhatEngineMdAllows() throws IOException {
        assertTrue(Files.isDirectory(MAIN), "run from the repository root: " + MAIN.toAbsolutePath());
        List<String> broken = new ArrayList<>();
        Map<String, Integer> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(MAIN)) {
            for (Path f : (Iterable<Path>) all.filter(p -> p.toString().endsWith(".java"))::iterator) {
                Path rel = MAIN.relativize(f.getParent());
                String pkg = rel.toString().replace('/', '.');
                assertTrue(ALLOWED.containsKey(pkg), f + ": package org.gbmixed." + pkg + " is not in java/ENGINE.md's table");
                files.merge(pkg, 1, Integer::sum);
                for (String u : uses(Files.readString(f)))
                    if (!u.equals(pkg) && !ALLOWED.get(pkg).contains(u)) broken.add(f + " uses " + u);
            }
        }
        assertEquals(ALLOWED.keySet(), files.keySet(), "every package of the table has sources");
        assertTrue(broken.isEmpty(), "dependencies java/ENGINE.md does not allow:\n" + String.join("\n", broken));
    }

    @Test
    void theRuleReadsImportsAndQualifiedNamesButNotComments() {
        String src = "package org.gbmixed.base;\nimport org.gbmixed.Config;\nimport org.gbmixed.likelihood.Likelihood;\n"
                + "/** {@link org.gbmixed.model.Model} */ class X { Object o = new org.gbmixed.learners.Tree(); "
                + "// org.gbmixed.boosting.Booster\n String s = \"org.gbmixed.GBMixed\"; }";
        assertEquals(Set.of("Config", "likelihood", "learners"), uses(src));
    }
}
