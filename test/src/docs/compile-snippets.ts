/**
 * Compiles TypeScript blocks of the docs, each as its own ES module, with the repository's
 * strict settings (NodeNext) against the built workspace packages. A block that names a
 * prelude gets one import line on top that brings every export of that prelude into scope.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** A block to compile. */
export interface SnippetSource {
  /** Where it comes from, `file:line` of its opening fence. */
  readonly where: string;
  /** Markdown path and fence line, for mapping compiler errors back. */
  readonly file: string;
  readonly fenceLine: number;
  /** The code to compile (addresses already rewritten). */
  readonly code: string;
  /** Prelude name (a module in dist/docs/preludes), or undefined for none. */
  readonly prelude: string | undefined;
  /** Code appended after the block (checks on what it declares), if any. */
  readonly epilogue?: string | undefined;
}

/** A compiled block. */
export interface CompiledSnippet {
  readonly where: string;
  /** The emitted JavaScript module. */
  readonly jsPath: string;
}

/** Result of compiling every block at once. */
export interface CompileResult {
  readonly snippets: ReadonlyMap<string, CompiledSnippet>;
  /** One message per compiler error, as `README.md:123: TS2304 Cannot find name 'x'`. */
  readonly errors: readonly string[];
}

/** Lines the generated module has above the block's first line (the prelude import). */
const HEADER_LINES = 1;

function compilerOptions(repoRoot: string, outDir: string): ts.CompilerOptions {
  const configPath = join(repoRoot, 'tsconfig.base.json');
  const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(read.config as object, ts.sys, repoRoot);
  return {
    ...parsed.options,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: true,
    incremental: false,
    rootDir: outDir,
    outDir,
    noEmit: false,
  };
}

/** The import line that brings a prelude's exports (values and types) into scope. */
function preludeImports(preludeDir: string, snippetDir: string): Map<string, string> {
  const dts = ts.sys.readDirectory(preludeDir, ['.d.ts'], undefined, undefined, 1);
  const program = ts.createProgram(dts, { module: ts.ModuleKind.NodeNext, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const lines = new Map<string, string>();
  for (const path of dts) {
    const source = program.getSourceFile(path);
    const symbol = source && checker.getSymbolAtLocation(source);
    if (!symbol) continue;
    const names = checker.getExportsOfModule(symbol).map((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return target.flags & ts.SymbolFlags.Value ? s.name : `type ${s.name}`;
    });
    const name = path.slice(path.lastIndexOf('/') + 1).replace(/\.d\.ts$/, '');
    const from = relative(snippetDir, path.replace(/\.d\.ts$/, '.js'));
    lines.set(
      name,
      `import { ${names.join(', ')} } from '${from.startsWith('.') ? from : `./${from}`}';`,
    );
  }
  return lines;
}

function slug(where: string): string {
  return where.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/**
 * Writes each block as `<snippetDir>/<file>-<line>.ts`, compiles them in one program and
 * emits JavaScript beside them. `preludeDir` holds the compiled preludes (`.js` + `.d.ts`).
 */
export function compileSnippets(
  sources: readonly SnippetSource[],
  dirs: { repoRoot: string; snippetDir: string; preludeDir: string },
): CompileResult {
  rmSync(dirs.snippetDir, { recursive: true, force: true });
  mkdirSync(dirs.snippetDir, { recursive: true });
  const imports = preludeImports(dirs.preludeDir, dirs.snippetDir);
  const errors: string[] = [];
  const byPath = new Map<string, SnippetSource>();
  const snippets = new Map<string, CompiledSnippet>();
  for (const source of sources) {
    let header = '// no prelude';
    if (source.prelude !== undefined) {
      const line = imports.get(source.prelude);
      if (line === undefined) {
        errors.push(`${source.where}: unknown prelude "${source.prelude}"`);
        continue;
      }
      header = line;
    }
    const tsPath = join(dirs.snippetDir, `${slug(source.where)}.ts`);
    const epilogue = source.epilogue ?? '';
    writeFileSync(tsPath, `${header}\n${source.code}\n// end of block\n${epilogue}\nexport {};\n`);
    byPath.set(tsPath, source);
    snippets.set(source.where, { where: source.where, jsPath: tsPath.replace(/\.ts$/, '.js') });
  }
  const program = ts.createProgram(
    [...byPath.keys()],
    compilerOptions(dirs.repoRoot, dirs.snippetDir),
  );
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  for (const d of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const source = d.file ? byPath.get(d.file.fileName) : undefined;
    if (!d.file || !source || d.start === undefined) {
      errors.push(`TS${d.code} ${message}`);
      continue;
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const blockLines = source.code.split('\n').length;
    if (line < HEADER_LINES) {
      errors.push(
        `${source.where}: TS${d.code} ${message} (in the import of prelude "${source.prelude}")`,
      );
    } else if (line >= HEADER_LINES + blockLines) {
      errors.push(`${source.where}: TS${d.code} ${message} (in the check after the block)`);
    } else {
      errors.push(`${source.file}:${source.fenceLine + line}: TS${d.code} ${message}`);
    }
  }
  return { snippets, errors };
}
