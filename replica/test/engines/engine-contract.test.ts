// The engine contract over every engine the registry offers: a new engine is tested the moment it is registered.
import { ENGINES } from '../../src/index.ts';
import { engineContract } from '../../testing/engine-contract.ts';

engineContract(ENGINES);
