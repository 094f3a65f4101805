import { App as AntApp, ConfigProvider, type ThemeConfig } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes } from 'react-router';
import { type Lang, LangContext } from './i18n';
import { HolderPortal } from './pages/holder';
import { Home, InstitutionPortal, VerifyPage } from './pages/public';
import { StaffConsole, StaffLogin } from './pages/staff';

/**
 * Government-console look (antd blue) with every text colour at contrast ≥ 4.5:1 on white and on the grey page
 * (WCAG 2.1 AA, checked by axe-core in the browser tests): antd's defaults for secondary text (#8c8c8c), links
 * (#1677ff), danger (#ff4d4f), placeholders and empty tables fall below it.
 */
const THEME: ThemeConfig = {
  token: {
    colorPrimary: '#1456c8',
    colorPrimaryHover: '#0f4aad',
    colorLink: '#1456c8',
    colorLinkHover: '#0f4aad',
    colorInfo: '#1456c8',
    colorError: '#cf1322',
    colorTextSecondary: 'rgba(0, 0, 0, 0.65)',
    colorTextTertiary: 'rgba(0, 0, 0, 0.6)',
    colorTextDescription: 'rgba(0, 0, 0, 0.6)',
    colorTextPlaceholder: 'rgba(0, 0, 0, 0.55)',
    borderRadius: 4,
  },
  // A table's empty-state text is drawn in the "disabled" colour; it is content, so it gets readable contrast.
  components: { Table: { colorTextDisabled: 'rgba(0, 0, 0, 0.6)' } },
};

function Root() {
  const [lang, setLangState] = useState<Lang>(() => {
    const l = localStorage.getItem('bdcert.lang') === 'en' ? 'en' : 'zh';
    // Screen readers pick the voice from <html lang>: keep it in step with the remembered language from the start.
    document.documentElement.lang = l === 'en' ? 'en' : 'zh-CN';
    return l;
  });
  const setLang = (l: Lang) => {
    localStorage.setItem('bdcert.lang', l);
    document.documentElement.lang = l === 'en' ? 'en' : 'zh-CN';
    setLangState(l);
  };
  return (
    <LangContext.Provider value={{ lang, setLang }}>
      <ConfigProvider locale={lang === 'en' ? enUS : zhCN} theme={THEME}>
        <AntApp>
          <BrowserRouter>
            <Routes>
              <Route path="/" element={<Home />} />
              <Route path="/login" element={<StaffLogin />} />
              <Route path="/console/*" element={<StaffConsole />} />
              <Route path="/holder/*" element={<HolderPortal />} />
              <Route path="/institution/*" element={<InstitutionPortal />} />
              <Route path="/verify" element={<VerifyPage />} />
              <Route path="/verify/:token" element={<VerifyPage />} />
              <Route path="/v/:token" element={<VerifyPage />} />
              <Route path="*" element={<Home />} />
            </Routes>
          </BrowserRouter>
        </AntApp>
      </ConfigProvider>
    </LangContext.Provider>
  );
}

const el = document.getElementById('root');
if (el)
  createRoot(el).render(
    <StrictMode>
      <Root />
    </StrictMode>,
  );
