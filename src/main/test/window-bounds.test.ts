import { describe, expect, it } from 'vitest';
import { cascadeFrom, placeOnScreen } from '../window-bounds.ts';

const primary = { x: 0, y: 0, width: 1920, height: 1040 };
const right = { x: 1920, y: 0, width: 1280, height: 1024 };

describe('placeOnScreen', () => {
  it('keeps bounds that are on a display', () => {
    const b = { x: 100, y: 100, width: 1000, height: 700 };
    expect(placeOnScreen(b, [primary])).toEqual(b);
    expect(placeOnScreen({ x: 2000, y: 50, width: 800, height: 600 }, [primary, right])).toEqual({
      x: 2000,
      y: 50,
      width: 800,
      height: 600,
    });
  });

  it('drops bounds whose display is gone or whose title bar is out of reach', () => {
    expect(placeOnScreen({ x: 2000, y: 50, width: 800, height: 600 }, [primary])).toBeUndefined();
    expect(placeOnScreen({ x: 100, y: -500, width: 800, height: 600 }, [primary])).toBeUndefined();
    expect(placeOnScreen({ x: 1900, y: 10, width: 800, height: 600 }, [primary])).toBeUndefined();
    expect(placeOnScreen(undefined, [primary])).toBeUndefined();
    expect(placeOnScreen({ x: 0, y: 0, width: 800, height: 600 }, [])).toBeUndefined();
  });

  it('grows tiny windows to a usable size', () => {
    expect(placeOnScreen({ x: 10, y: 10, width: 5, height: 5 }, [primary])).toEqual({
      x: 10,
      y: 10,
      width: 480,
      height: 360,
    });
  });
});

describe('cascadeFrom', () => {
  it('offsets a new window from the last one and wraps at the edge of the work area', () => {
    expect(cascadeFrom({ x: 100, y: 100, width: 800, height: 600 }, primary)).toEqual({
      x: 132,
      y: 132,
      width: 800,
      height: 600,
    });
    expect(cascadeFrom({ x: 1100, y: 400, width: 800, height: 600 }, primary)).toEqual({
      x: 32,
      y: 32,
      width: 800,
      height: 600,
    });
    expect(cascadeFrom(undefined, primary)).toBeUndefined();
  });
});
