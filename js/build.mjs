// Bundles the widget: the worklets first (each to a self-contained script held as a string, so
// the widget can load them from Blob URLs), then widget.js and its CSS, and the eval matrix
// widget (eval_widget.js) and its CSS, into the package's static/.
// Usage: node js/build.mjs [--watch]
import * as esbuild from "esbuild";
import path from "node:path";

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const outdir = path.join(root, "nur_notebook", "notebook", "static");

/** Resolves `./x-worklet.js?worklet` to the bundled text of that worklet. */
const worklets = {
  name: "worklets",
  setup(build) {
    build.onResolve({ filter: /\?worklet$/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.replace(/\?worklet$/, "")),
      namespace: "worklet",
    }));
    build.onLoad({ filter: /.*/, namespace: "worklet" }, async (args) => {
      const out = await esbuild.build({
        entryPoints: [args.path],
        bundle: true,
        format: "iife",
        minify: true,
        write: false,
        target: "es2020",
      });
      return { contents: out.outputFiles[0].text, loader: "text", watchFiles: [args.path] };
    });
  },
};

const options = {
  entryPoints: [
    path.join(root, "js", "widget.js"),
    path.join(root, "js", "widget.css"),
    path.join(root, "js", "eval_widget.js"),
    path.join(root, "js", "eval_widget.css"),
  ],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  outdir,
  plugins: [worklets],
  logLevel: "info",
};

if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
