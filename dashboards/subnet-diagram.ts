/**
 * A subnet drawn as its network: input and stem, the fixed first block, each stage with its
 * elastic blocks (kernel as the box's height, expand ratio as its width; blocks beyond the stage's
 * depth drawn hollow), and the head. Channel counts and feature sizes come from core's buildArch,
 * the same description cost and export use.
 */
import { buildArch } from '../core/arch';
import type { SubnetConfig } from '../core/config';
import { maxDepth, type SpaceDef } from '../core/space';

const SVG = 'http://www.w3.org/2000/svg';

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const KERNEL_FILL: Record<number, string> = { 3: '#bfdbfe', 5: '#60a5fa', 7: '#1d4ed8' };
const act = (a: string) => (a === 'h_swish' ? 'h-swish' : 'ReLU');

export function subnetDiagram(space: SpaceDef, config: SubnetConfig): SVGSVGElement {
  const arch = buildArch(space, config);
  const depth = maxDepth(space);
  const colW = 150;
  const slotH = 74;
  const top = 58;
  const x0 = 250;
  const width = x0 + space.stages.length * colW + 190;
  const height = top + depth * slotH + 30;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'subnet-diagram', role: 'img', 'aria-label': `subnet at resolution ${config.r}: depths ${config.d.join(', ')}` }) as SVGSVGElement;
  const box = (x: number, y: number, w: number, hgt: number, fill: string, lines: string[], attrs: Record<string, string | number> = {}) => {
    const g = el('g', attrs);
    g.append(el('rect', { x, y, width: w, height: hgt, rx: 6, fill, stroke: '#334155', 'stroke-width': 1 }));
    lines.forEach((line, i) => g.append(el('text', { x: x + w / 2, y: y + hgt / 2 + (i - (lines.length - 1) / 2) * 13 + 4, 'text-anchor': 'middle', 'font-size': i === 0 ? 12 : 10 }, line)));
    svg.append(g);
  };
  const mid = top + (depth * slotH) / 2 - 40;
  box(8, mid, 100, 80, '#f1f5f9', ['input', `${config.r}×${config.r}×${space.inputChannels}`], { 'data-part': 'input' });
  box(118, mid, 56, 80, '#e2e8f0', ['stem', `${arch.stem.kernel}×${arch.stem.kernel}`, `s${arch.stem.stride}`, `${arch.stem.cout} ch`], { 'data-part': 'stem' });
  const first = arch.blocks[0];
  box(182, mid, 56, 80, '#e2e8f0', ['MB1', `k${first.kernel}`, `${first.cout} ch`, `${first.fout}²`], { 'data-part': 'first-block' });
  space.stages.forEach((stage, s) => {
    const x = x0 + s * colW;
    svg.append(el('text', { x: x + colW / 2 - 6, y: 18, 'text-anchor': 'middle', 'font-size': 12, 'font-weight': 600 }, `stage ${s + 1} · d ${config.d[s]}`));
    svg.append(el('text', { x: x + colW / 2 - 6, y: 34, 'text-anchor': 'middle', 'font-size': 10, fill: '#475569' }, `${stage.width} ch · s${stage.stride} · ${act(stage.act)}${stage.se ? ' · SE' : ''}`));
    for (let j = 0; j < depth; j++) {
      const i = s * depth + j;
      const block = arch.blocks.find((b) => b.elasticIndex === i);
      const y = top + j * slotH;
      if (!block) {
        box(x + 20, y + 14, colW - 52, slotH - 28, 'none', ['skipped'], { 'data-block': i, 'data-active': 'false', 'stroke-dasharray': '4 3', opacity: 0.45 });
        continue;
      }
      const w = 34 + block.expand * 14;
      const hgt = 24 + block.kernel * 5;
      const color = KERNEL_FILL[block.kernel] ?? '#93c5fd';
      const text = block.kernel === 7 ? '#fff' : '#0f172a';
      const g = el('g', { 'data-block': i, 'data-active': 'true', 'data-k': block.kernel, 'data-e': block.expand });
      const bx = x + (colW - 12 - w) / 2;
      const by = y + (slotH - hgt) / 2;
      g.append(el('rect', { x: bx, y: by, width: w, height: hgt, rx: 6, fill: color, stroke: '#1e3a8a', 'stroke-width': 1 }));
      g.append(el('text', { x: bx + w / 2, y: by + hgt / 2 - 2, 'text-anchor': 'middle', 'font-size': 12, fill: text }, `k${block.kernel} e${block.expand}`));
      g.append(el('text', { x: bx + w / 2, y: by + hgt / 2 + 12, 'text-anchor': 'middle', 'font-size': 9, fill: text }, `${block.mid} mid · ${block.fout}²`));
      const title = el('title', {}, `block ${i}: ${block.cin}→${block.cout} ch, mid ${block.mid}, kernel ${block.kernel}, expand ${block.expand}, stride ${block.stride}${block.se ? `, SE ${block.seMid}` : ''}${block.skip ? ', skip' : ''}, ${block.fin}²→${block.fout}²`);
      g.append(title);
      svg.append(g);
    }
  });
  const hx = x0 + space.stages.length * colW;
  box(hx, mid - 10, 170, 100, '#e2e8f0', ['head', `1×1 → ${arch.head.finalExpand.cout} ch (${arch.head.finalExpand.f}²)`, 'global pool', `1×1 → ${arch.head.featureMix.cout}`, `classifier → ${arch.head.classifier.cout}`], { 'data-part': 'head' });
  return svg;
}
