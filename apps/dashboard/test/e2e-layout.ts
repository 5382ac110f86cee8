/**
 * Layout checks for the browser test: no text spills out of its box, the page never scrolls
 * sideways (tables scroll inside their own box), and chart tick labels stay inside their chart.
 */
import type { Page } from 'playwright-core';

export const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** Human-readable descriptions of every overflow on the page (empty when everything fits). */
export function findOverflows(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const describe = (el: Element) => {
      const text = (el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      const cls = typeof el.className === 'string' && el.className ? `.${el.className.split(' ').join('.')}` : '';
      return `<${el.tagName.toLowerCase()}${cls}> "${text}"`;
    };
    const root = document.documentElement;
    const width = root.clientWidth;
    if (root.scrollWidth > width + 1) problems.push(`the page scrolls sideways: ${root.scrollWidth}px > ${width}px`);

    for (const el of document.querySelectorAll('body *')) {
      if (el.closest('svg, .recharts-wrapper, option, select, script, style')) continue;
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      const hasText = [...el.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && (node.textContent ?? '').trim() !== '');
      if (!hasText) continue;
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) continue;
      const scrolls = ['auto', 'scroll'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
      // A block's own content wider than the block (clientWidth is 0 for inline boxes).
      if (el.clientWidth > 0 && !scrolls && el.scrollWidth > el.clientWidth + 1) {
        problems.push(`${describe(el)} overflows its box: ${el.scrollWidth}px > ${el.clientWidth}px`);
      }
      // Inside a horizontal scroll box the box clips it on purpose; elsewhere it must stay inside its parent.
      const scroller = el.parentElement?.closest('.table-wrap');
      if (scroller) continue;
      const parent = el.parentElement;
      if (!parent) continue;
      const outer = parent.getBoundingClientRect();
      if (rect.left < outer.left - 1 || rect.right > outer.right + 1) {
        problems.push(
          `${describe(el)} sticks out of ${describe(parent)}: [${Math.round(rect.left)}, ${Math.round(rect.right)}] outside [${Math.round(outer.left)}, ${Math.round(outer.right)}]`,
        );
      }
      if (rect.right > width + 1) problems.push(`${describe(el)} goes past the window's right edge`);
    }

    // Chart axes: every tick label inside its chart.
    for (const wrapper of document.querySelectorAll('.recharts-wrapper')) {
      const box = wrapper.getBoundingClientRect();
      for (const tick of wrapper.querySelectorAll('.recharts-cartesian-axis-tick-value')) {
        const r = tick.getBoundingClientRect();
        if (r.width === 0) continue;
        if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
          problems.push(`axis label "${tick.textContent}" is cut off by its chart`);
        }
      }
    }
    return problems;
  });
}
