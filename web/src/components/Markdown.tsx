// Run notes as Markdown (react-markdown, with GitHub's tables, task lists, strikethrough
// and autolinks). Safe by construction: raw HTML in a note is shown as text, never
// parsed (no rehype-raw); links go only to http(s), mailto, this site's paths and
// anchors, and open in a new tab without access to this one; images are never loaded
// (a note could otherwise make the browser fetch from any origin): they show as a
// link to the picture. A caller may draw some fenced code blocks itself (`blocks`: the
// reports' ```heron-chart and friends); what it declines stays a code block.
import { useMemo, type ReactNode } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";

const SAFE_URL = /^(https?:|mailto:|\/|#)/i;

/** A URL a note may link to, or undefined (the link is then shown as plain text). */
export function safeUrl(url: string): string | undefined {
  const u = url.trim();
  return SAFE_URL.test(u) ? u : undefined;
}

function SafeLink({ href, children }: { href?: string; children?: ReactNode }) {
  if (!href) return <span className="md-unsafe-link">{children}</span>;
  return (
    <a href={href} rel="noopener noreferrer" target="_blank">
      {children}
    </a>
  );
}

const components: Components = {
  // A note's "#" sits under the page's own headings: one level down.
  h1: ({ children }) => <h2>{children}</h2>,
  h2: ({ children }) => <h3>{children}</h3>,
  h3: ({ children }) => <h4>{children}</h4>,
  h4: ({ children }) => <h5>{children}</h5>,
  h5: ({ children }) => <h6>{children}</h6>,
  h6: ({ children }) => <h6>{children}</h6>,
  a: ({ href, children }) => <SafeLink href={href}>{children}</SafeLink>,
  img: ({ src, alt }) => (
    <SafeLink href={typeof src === "string" ? src : undefined}>{alt ? `🖼 ${alt}` : "🖼 image"}</SafeLink>
  ),
  table: ({ children }) => (
    <div className="md-table">
      <table>{children}</table>
    </div>
  ),
};

/** Draws a fenced code block of language `lang` holding `text`, or declines (undefined). */
export type CodeBlocks = (lang: string, text: string) => ReactNode | undefined;

interface HastNode {
  type: string;
  tagName?: string;
  value?: string;
  properties?: { className?: unknown };
  children?: HastNode[];
}

/** The language and text of a `<pre><code class="language-x">` block. */
function fenced(node: HastNode | undefined): { lang: string; text: string } | null {
  const code = node?.children?.[0];
  if (!code || code.type !== "element" || code.tagName !== "code") return null;
  const classes = Array.isArray(code.properties?.className) ? code.properties.className.map(String) : [];
  const lang = classes.find((c) => c.startsWith("language-"))?.slice("language-".length) ?? "";
  const text = (code.children ?? []).map((c) => (c.type === "text" ? (c.value ?? "") : "")).join("");
  return { lang, text };
}

export function Markdown({ source, blocks }: { source: string; blocks?: CodeBlocks }) {
  const drawn = useMemo<Components>(() => {
    if (!blocks) return components;
    return {
      ...components,
      pre: ({ node, children }) => {
        const block = fenced(node as HastNode | undefined);
        const mine = block ? blocks(block.lang, block.text) : undefined;
        return mine === undefined ? <pre>{children}</pre> : <>{mine}</>;
      },
    };
  }, [blocks]);
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={[remarkGfm]} components={drawn} urlTransform={(url) => safeUrl(url)}>
        {source}
      </ReactMarkdown>
    </div>
  );
}
